package io.ecb.push.n10n;

import io.ecb.EcbNode;
import io.ecb.http.HttpBodies;
import io.ecb.http.SseWriter;
import io.ecb.auth.ChatUser;
import io.ecb.chat.EcbException;
import io.ecb.chat.ErrorCode;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.Fanout;
import io.ecb.delivery.Streams;
import io.ecb.http.ChatApi;
import io.ecb.engine.Engine;
import io.ecb.engine.KeyedState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Voedger-style notifications over SSE ("n10n", API v2): a client opens a channel with
 * {@code POST /api/v2/apps/{owner}/{app}/notifications} and a list of {@code {entity, wsid}}
 * subscriptions, gets {@code event: channelID}, then {@code event: update} whenever a backend
 * service publishes {@code {offset}} on channel {@code <owner>/<app>/<entity>@<wsid>} through the
 * native publish API. Subscriptions are added and removed on a live channel with PUT/DELETE
 * {@code .../notifications/{channelId}/workspaces/{wsid}/subscriptions/{entity}} through any node.
 *
 * <p>A channel lives on the node that holds its SSE response. Which node that is, and the per-user
 * counts the quotas need, are kept in the Hazelcast map {@code ecb.push.n10n.subjects}
 * (userId → channelId → node, expiry, subscriptions); entries of nodes that left the cluster or of
 * channels past their expiry are ignored and pruned. PUT/DELETE on another node's channel are
 * forwarded to that node over the event bus ({@code ecb.n10n.node.<nodeId>}).
 */
public final class NotificationsSseProfile {

  private static final Logger LOG = Logger.getLogger(NotificationsSseProfile.class.getName());

  public static final String SUBJECTS = "ecb.push.n10n.subjects";
  public static final String HEARTBEAT = "sys.Heartbeat30";
  private static final Pattern QNAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,99}\\.[A-Za-z_][A-Za-z0-9_]{0,99}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.~-]{1,100}");

  private final EcbNode node;
  private final Vertx vertx;
  private final Engine cluster;
  private final String nodeId;
  private final KeyedState<HashMap<String, String>> subjects;
  private final Map<String, Channel> channels = new ConcurrentHashMap<>();
  private final AtomicInteger reservedChannels = new AtomicInteger();
  private final AtomicLong heartbeatOffset = new AtomicLong();
  private final MessageConsumer<JsonObject> consumer;
  private final long heartbeatTimer;

  private final boolean enabled;
  final long heartbeatSeconds;
  final long defaultExpiresInSeconds;
  final int channelsPerUser;
  final int subscriptionsPerUser;
  final int channelsPerNode;

  public NotificationsSseProfile(EcbNode node) {
    this.node = node;
    this.vertx = node.vertx;
    JsonObject push = node.config.json.getJsonObject("push", new JsonObject());
    JsonObject conf = push.getJsonObject("n10n", new JsonObject());
    this.enabled = conf.getBoolean("enabled", true);
    this.heartbeatSeconds = Math.max(1, conf.getLong("heartbeatSeconds", 30L));
    this.defaultExpiresInSeconds = conf.getLong("defaultExpiresInSeconds", 86_400L);
    this.channelsPerUser = conf.getInteger("channelsPerUser", 50);
    this.subscriptionsPerUser = conf.getInteger("subscriptionsPerUser", 100);
    this.channelsPerNode = conf.getInteger("channelsPerNode", 10_000);
    this.cluster = node.engine;
    this.nodeId = cluster.nodeId();
    this.subjects = cluster.state(SUBJECTS);
    this.consumer = vertx.eventBus().<JsonObject>consumer(nodeAddress(nodeId)).handler(this::onForwarded);
    this.heartbeatTimer = vertx.setPeriodic(heartbeatSeconds * 1000, id -> heartbeat());
  }

  private static String nodeAddress(String nodeId) {
    return "ecb.n10n.node." + nodeId;
  }

  /** The stream a backend service publishes a view's updates on: {@code channel:<owner>/<app>/<entity>@<wsid>}. */
  public static String stream(String app, String entity, long wsid) {
    return Streams.channel(app + "/" + entity + "@" + wsid);
  }

  public int channelCount() {
    return channels.size();
  }

  public void mount(Router router) {
    if (!enabled) return;
    String base = "/api/v2/apps/:owner/:app/notifications";
    String sub = base + "/:channelId/workspaces/:wsid/subscriptions/:entity";
    router.post(base).handler(BodyHandler.create(false).setBodyLimit(node.config.http.maxFrameBytes));
    router.put(sub).handler(BodyHandler.create(false).setBodyLimit(node.config.http.maxFrameBytes));
    router.post(base).handler(this::open);
    router.put(sub).handler(ctx -> change(ctx, true));
    router.delete(sub).handler(ctx -> change(ctx, false));
    router.route(base).handler(ctx -> error(ctx, 405, "method not allowed"));
    router.route(sub).handler(ctx -> error(ctx, 405, "method not allowed"));
    router.route(base + "/*").handler(ctx -> error(ctx, 404, "no such resource"));
    router.route(base).failureHandler(this::failure);
    router.route(base + "/*").failureHandler(this::failure);
  }

  /** Ends every channel of this node (clients reconnect elsewhere) and stops the heartbeat. */
  public Future<Void> close() {
    vertx.cancelTimer(heartbeatTimer);
    new ArrayList<>(channels.values()).forEach(c -> c.end());
    return consumer.unregister();
  }

  // ---- create a channel

  private record Sub(String entity, long wsid) {
    String key() {
      return entity + "@" + wsid;
    }
  }

  private void open(RoutingContext ctx) {
    String app = app(ctx);
    if (app == null) return;
    List<Sub> subs;
    long expiresIn;
    try {
      JsonObject body = HttpBodies.jsonObject(ctx);
      for (String k : body.fieldNames()) {
        if (!Set.of("subscriptions", "expiresIn", "expiresInSeconds").contains(k)) throw EcbException.badRequest("unknown field " + k);
      }
      subs = subscriptions(body.getValue("subscriptions"));
      expiresIn = expiresIn(body);
    } catch (EcbException e) {
      fail(ctx, e);
      return;
    }
    Context context = Vertx.currentContext();
    user(ctx).compose(user -> {
      for (Sub s : subs) authorize(user, app, s.entity());
      if (reservedChannels.incrementAndGet() > channelsPerNode) {
        reservedChannels.decrementAndGet();
        throw new EcbException(ErrorCode.RATE_LIMITED, "quota exceeded: number of channels");
      }
      String channelId = UUID.randomUUID().toString();
      long expiresAt = System.currentTimeMillis() + expiresIn * 1000;
      Channel channel = new Channel(ctx, context, channelId, user.userId(), app, expiresAt);
      for (Sub s : subs) channel.wanted(s);
      return quota(user.userId(), new Quota(Quota.OPEN, channelId, nodeId, expiresAt, channel.count(), channelsPerUser, subscriptionsPerUser, liveNodes()))
        .onFailure(e -> reservedChannels.decrementAndGet())
        .compose(v -> channel.start(expiresIn));
    }).onFailure(e -> fail(ctx, e));
  }

  private List<Sub> subscriptions(Object value) {
    if (!(value instanceof JsonArray array) || array.isEmpty()) throw EcbException.badRequest("subscriptions must be a non-empty array");
    if (array.size() > Math.max(subscriptionsPerUser, 1) * 4) throw EcbException.badRequest("too many subscriptions");
    List<Sub> out = new ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof JsonObject s)) throw EcbException.badRequest("each subscription must be an object {entity, wsid}");
      for (String k : s.fieldNames()) {
        if (!k.equals("entity") && !k.equals("wsid")) throw EcbException.badRequest("unknown field " + k + " in a subscription");
      }
      if (!(s.getValue("entity") instanceof String entity)) throw EcbException.badRequest("subscription entity is missing");
      if (!s.containsKey("wsid")) throw EcbException.badRequest("subscription wsid is missing");
      out.add(sub(entity, s.getValue("wsid")));
    }
    return out;
  }

  private static Sub sub(String entity, Object wsidValue) {
    if (!QNAME.matcher(entity).matches()) throw EcbException.badRequest("bad entity: " + entity + " (a qualified name pkg.Name)");
    long wsid;
    if (wsidValue instanceof Integer || wsidValue instanceof Long) {
      wsid = ((Number) wsidValue).longValue();
    } else if (wsidValue instanceof String text) {
      // From the path of PUT/DELETE.
      try {
        wsid = Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw EcbException.badRequest("bad wsid: " + text);
      }
    } else {
      throw EcbException.badRequest("bad wsid: must be an integer");
    }
    if (HEARTBEAT.equals(entity)) {
      if (wsid < 0) throw EcbException.badRequest("bad wsid: " + wsid);
      return new Sub(HEARTBEAT, 0); // one heartbeat per channel, whatever workspace names it
    }
    if (wsid <= 0) throw EcbException.badRequest("bad wsid: " + wsid);
    return new Sub(entity, wsid);
  }

  private long expiresIn(JsonObject body) {
    Object v = body.containsKey("expiresIn") ? body.getValue("expiresIn") : body.getValue("expiresInSeconds");
    if (v == null) return defaultExpiresInSeconds;
    if (!(v instanceof Integer || v instanceof Long)) throw EcbException.badRequest("expiresIn must be an integer number of seconds");
    long n = ((Number) v).longValue();
    if (n < 0) throw EcbException.badRequest("expiresIn must not be negative");
    return n == 0 ? defaultExpiresInSeconds : n;
  }

  private void authorize(ChatUser user, String app, String entity) {
    if (HEARTBEAT.equals(entity)) return;
    if (!node.chat.mayFollowChannel(user, app + "/" + entity)) {
      throw EcbException.forbidden("not allowed to read " + entity + " in " + app + " (the userToken's channels must name " + app + "/" + entity + ")");
    }
  }

  // ---- PUT / DELETE a subscription on a live channel, through any node

  private void change(RoutingContext ctx, boolean add) {
    String app = app(ctx);
    if (app == null) return;
    Sub s;
    try {
      if (ctx.body() != null && ctx.body().length() > 0) throw EcbException.badRequest("unexpected body");
      s = sub(ctx.pathParam("entity"), ctx.pathParam("wsid"));
    } catch (EcbException e) {
      fail(ctx, e);
      return;
    }
    String channelId = ctx.pathParam("channelId");
    user(ctx).compose(user -> {
      if (add) authorize(user, app, s.entity());
      return subjects.get(user.userId()).compose(map -> {
        String entry = map == null ? null : map.get(channelId);
        Quota.Entry e = entry == null ? null : Quota.Entry.parse(entry);
        if (e == null || !e.alive(liveNodes())) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
        JsonObject request = new JsonObject().put("op", add ? "subscribe" : "unsubscribe").put("channelId", channelId)
          .put("userId", user.userId()).put("app", app).put("entity", s.entity()).put("wsid", s.wsid());
        return vertx.eventBus().<JsonObject>request(nodeAddress(e.nodeId()), request, new DeliveryOptions().setSendTimeout(5000))
          .recover(f -> Future.failedFuture(forwardFailure(f)));
      });
    }).onSuccess(m -> {
      if (add) ctx.response().setStatusCode(200).end();
      else ctx.response().setStatusCode(204).end();
    }).onFailure(e -> fail(ctx, e));
  }

  private static EcbException forwardFailure(Throwable f) {
    if (f instanceof ReplyException r) {
      if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        ErrorCode code = switch (r.failureCode()) {
          case 400 -> ErrorCode.BAD_REQUEST;
          case 403 -> ErrorCode.FORBIDDEN;
          case 404 -> ErrorCode.NOT_FOUND;
          case 429 -> ErrorCode.RATE_LIMITED;
          default -> ErrorCode.INTERNAL;
        };
        return new EcbException(code, r.getMessage());
      }
      if (r.failureType() == ReplyFailure.NO_HANDLERS) return new EcbException(ErrorCode.NOT_FOUND, "channel does not exist");
    }
    return new EcbException(ErrorCode.UNAVAILABLE, "the channel's node did not answer; retry");
  }

  /** A PUT/DELETE forwarded by any node (this one included) to the node holding the channel. */
  private void onForwarded(Message<JsonObject> m) {
    JsonObject r = m.body();
    Channel c = channels.get(r.getString("channelId"));
    if (c == null || !c.userId.equals(r.getString("userId")) || !c.app.equals(r.getString("app"))) {
      m.fail(404, "channel does not exist");
      return;
    }
    Sub s = new Sub(r.getString("entity"), r.getLong("wsid"));
    boolean add = "subscribe".equals(r.getString("op"));
    c.context.runOnContext(v -> (add ? c.subscribe(s) : c.unsubscribe(s)).onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(new JsonObject());
      } else {
        EcbException e = EcbException.of(ar.cause());
        if (e != ar.cause()) LOG.log(Level.WARNING, "n10n subscription change failed", ar.cause());
        m.fail(e.code.status, e.getMessage());
      }
    }));
  }

  // ---- the channel: one SSE response on this node

  private final class Channel implements Fanout.Subscriber {
    final RoutingContext ctx;
    final HttpServerResponse response;
    final Context context;
    final String channelId;
    final String userId;
    final String app;
    final long expiresAt;
    /** stream → subscription, for entities; the heartbeat is a flag. */
    final Map<String, Sub> streams = new LinkedHashMap<>();
    boolean heartbeat;
    long expiryTimer = -1;
    final SseWriter out;
    boolean started;
    boolean ended;

    Channel(RoutingContext ctx, Context context, String channelId, String userId, String app, long expiresAt) {
      this.ctx = ctx;
      this.response = ctx.response();
      this.context = context;
      this.out = new SseWriter(response, node.config.limits.outboundQueueBytes, this::end);
      this.channelId = channelId;
      this.userId = userId;
      this.app = app;
      this.expiresAt = expiresAt;
    }

    void wanted(Sub s) {
      if (s.entity().equals(HEARTBEAT)) heartbeat = true;
      else streams.put(stream(app, s.entity(), s.wsid()), s);
    }

    int count() {
      return streams.size() + (heartbeat ? 1 : 0);
    }

    Future<Void> start(long expiresIn) {
      channels.put(channelId, this);
      response.closeHandler(v -> end());
      List<Future<Void>> ready = new ArrayList<>();
      for (String stream : streams.keySet()) ready.add(node.fanout.subscribe(stream, userId, this));
      return Future.all(ready).<Void>mapEmpty().onComplete(ar -> {
        if (ended) return;
        if (ar.failed()) {
          end();
          fail(ctx, ar.cause());
          return;
        }
        started = true;
        response.setChunked(true)
          .putHeader("Content-Type", "text/event-stream")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
        write("event: channelID\ndata: " + channelId + "\n\n");
        expiryTimer = vertx.setTimer(Math.max(1, expiresAt - System.currentTimeMillis()), id -> end());
      });
    }

    @Override
    public Context context() {
      return context;
    }

    /** Called on this channel's event loop (see {@link #context()}). */
    @Override
    public void deliver(Delivery d) {
      if (ended || !started) return;
      Sub s = streams.get(d.stream);
      if (s == null) return;
      long offset = d.offset;
      try {
        JsonObject payload = new JsonObject(d.payload.toString(StandardCharsets.UTF_8));
        if (payload.getValue("data") instanceof JsonObject data && data.getValue("offset") instanceof Number n) {
          offset = n.longValue();
        } else if (payload.getValue("data") instanceof Number n) {
          offset = n.longValue();
        }
      } catch (DecodeException | ClassCastException ignored) {
        // not JSON: the stream offset stands in
      }
      update(s.entity(), s.wsid(), offset);
    }

    void update(String item, long wsid, long offset) {
      JsonObject data = new JsonObject().put("app", app).put("item", item).put("wsid", wsid).put("offset", offset);
      write("event: update\ndata: " + data.encode() + "\n\n");
    }

    Future<Void> subscribe(Sub s) {
      if (ended) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
      boolean isHeartbeat = s.entity().equals(HEARTBEAT);
      String stream = isHeartbeat ? null : stream(app, s.entity(), s.wsid());
      if (isHeartbeat ? heartbeat : streams.containsKey(stream)) return Future.succeededFuture(); // idempotent
      return quota(userId, new Quota(Quota.SET, channelId, nodeId, expiresAt, count() + 1, channelsPerUser, subscriptionsPerUser, liveNodes()))
        .compose(v -> {
          if (ended) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
          if (isHeartbeat) {
            heartbeat = true;
            return Future.succeededFuture();
          }
          if (streams.containsKey(stream)) return Future.succeededFuture();
          streams.put(stream, s);
          return node.fanout.subscribe(stream, userId, this);
        });
    }

    Future<Void> unsubscribe(Sub s) {
      if (ended) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
      boolean removed;
      if (s.entity().equals(HEARTBEAT)) {
        removed = heartbeat;
        heartbeat = false;
      } else {
        String stream = stream(app, s.entity(), s.wsid());
        removed = streams.remove(stream) != null;
        if (removed) node.fanout.unsubscribe(stream, this);
      }
      if (!removed) return Future.succeededFuture();
      return quota(userId, new Quota(Quota.SET, channelId, nodeId, expiresAt, count(), channelsPerUser, subscriptionsPerUser, liveNodes()))
        .recover(e -> Future.succeededFuture());
    }

    private void write(String text) {
      if (!ended) out.write(text);
    }

    void end() {
      context.runOnContext(v -> {
        if (ended) return;
        ended = true;
        vertx.cancelTimer(expiryTimer);
        for (String stream : streams.keySet()) node.fanout.unsubscribe(stream, this);
        // The channel counts against the quotas until its cluster-wide entry is gone.
        quota(userId, new Quota(Quota.CLOSE, channelId, nodeId, 0, 0, 0, 0, liveNodes()))
          .onFailure(e -> LOG.log(Level.FINE, "n10n channel entry not removed; it expires by itself", e))
          .onComplete(ar -> {
            if (channels.remove(channelId, this)) reservedChannels.decrementAndGet();
          });
        if (started && !response.ended() && !response.closed()) response.end();
      });
    }
  }

  private void heartbeat() {
    long offset = heartbeatOffset.incrementAndGet();
    for (Channel c : channels.values()) {
      c.context.runOnContext(v -> {
        if (!c.started || c.ended) return;
        if (c.heartbeat) c.update(".", 0, offset);
        // A channel without the heartbeat subscription gets an SSE comment (ignored by EventSource)
        // instead, so that a quiet one is not closed by the server's idle timeout.
        else c.write(":\n\n");
      });
    }
  }

  // ---- quotas, cluster-wide per user

  private Set<String> liveNodes() {
    return new HashSet<>(cluster.nodes());
  }

  private Future<Void> quota(String userId, Quota q) {
    Promise<Void> p = Promise.promise();
    subjects.update(userId, q).onComplete((result, error) -> {
      if (error != null) p.fail(new EcbException(ErrorCode.UNAVAILABLE, "quota check failed; retry"));
      else if (result.equals("ok")) p.complete();
      else if (result.equals("missing")) p.fail(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
      else p.fail(new EcbException(ErrorCode.RATE_LIMITED, "quota exceeded: " + result));
    });
    return p.future();
  }

  /**
   * The per-user record of channels: channelId → {@code nodeId|expiresAtMillis|subscriptions}.
   * OPEN adds a channel, SET changes its subscription count, CLOSE removes it; each first prunes
   * channels of departed nodes and past their expiry. Returns "ok", "missing", or the quota exceeded.
   */
  static final class Quota implements KeyedState.Update<HashMap<String, String>, String> {
    private static final long serialVersionUID = 1L;
    static final int OPEN = 0, SET = 1, CLOSE = 2;
    private final int op;
    private final String channelId;
    private final String nodeId;
    private final long expiresAt;
    private final int subscriptions;
    private final int maxChannels;
    private final int maxSubscriptions;
    private final HashSet<String> liveNodes;

    Quota(int op, String channelId, String nodeId, long expiresAt, int subscriptions, int maxChannels, int maxSubscriptions, Set<String> liveNodes) {
      this.op = op;
      this.channelId = channelId;
      this.nodeId = nodeId;
      this.expiresAt = expiresAt;
      this.subscriptions = subscriptions;
      this.maxChannels = maxChannels;
      this.maxSubscriptions = maxSubscriptions;
      this.liveNodes = new HashSet<>(liveNodes);
    }

    record Entry(String nodeId, long expiresAt, int subscriptions) {
      static Entry parse(String s) {
        String[] p = s.split("\\|");
        return new Entry(p[0], Long.parseLong(p[1]), Integer.parseInt(p[2]));
      }

      boolean alive(Set<String> nodes) {
        return nodes.contains(nodeId) && expiresAt > System.currentTimeMillis();
      }

      String encode() {
        return nodeId + "|" + expiresAt + "|" + subscriptions;
      }
    }

    @Override
    public String apply(KeyedState.Entry<HashMap<String, String>> entry) {
      HashMap<String, String> channels = new HashMap<>();
      if (entry.getValue() != null) {
        entry.getValue().forEach((id, v) -> {
          if (Entry.parse(v).alive(liveNodes)) channels.put(id, v);
        });
      }
      String result = "ok";
      switch (op) {
        case OPEN -> {
          int subs = subscriptions;
          for (String v : channels.values()) subs += Entry.parse(v).subscriptions();
          if (channels.size() + 1 > maxChannels) result = "channels per subject";
          else if (subs > maxSubscriptions) result = "subscriptions per subject";
          else channels.put(channelId, new Entry(nodeId, expiresAt, subscriptions).encode());
        }
        case SET -> {
          String current = channels.get(channelId);
          if (current == null) {
            result = "missing";
          } else {
            Entry e = Entry.parse(current);
            int subs = subscriptions;
            for (Map.Entry<String, String> c : channels.entrySet()) {
              if (!c.getKey().equals(channelId)) subs += Entry.parse(c.getValue()).subscriptions();
            }
            if (subscriptions > e.subscriptions() && subs > maxSubscriptions) result = "subscriptions per subject";
            else channels.put(channelId, new Entry(e.nodeId(), e.expiresAt(), subscriptions).encode());
          }
        }
        default -> channels.remove(channelId);
      }
      entry.setValue(channels.isEmpty() ? null : channels);
      return result;
    }
  }

  // ---- helpers

  /** {@code <owner>/<app>} from the path; answers 400 and returns null when a part is not a plain name. */
  private static String app(RoutingContext ctx) {
    String owner = ctx.pathParam("owner");
    String app = ctx.pathParam("app");
    if (owner == null || app == null || !NAME.matcher(owner).matches() || !NAME.matcher(app).matches()) {
      error(ctx, 400, "bad application name");
      return null;
    }
    return owner + "/" + app;
  }



  private Future<ChatUser> user(RoutingContext ctx) {
    String token = ChatApi.bearer(ctx);
    if (token == null) return Future.failedFuture(EcbException.unauthorized("Authorization: Bearer <userToken> is required"));
    return node.chat.caller(ChatApi.caller(ctx), token);
  }

  private void failure(RoutingContext ctx) {
    if (ctx.failure() instanceof EcbException e) {
      fail(ctx, e);
      return;
    }
    int status = ctx.statusCode();
    if (status == 413 || status == 400 || status == 404 || status == 405) {
      error(ctx, status, switch (status) {
        case 413 -> "request body too large";
        case 404 -> "no such resource";
        case 405 -> "method not allowed";
        default -> "bad request";
      });
      return;
    }
    if (ctx.failure() != null) LOG.log(Level.WARNING, "n10n request failed", ctx.failure());
    error(ctx, 500, "internal error");
  }

  private static void fail(RoutingContext ctx, Throwable cause) {
    EcbException e = EcbException.of(cause);
    if (e != cause) LOG.log(Level.WARNING, "n10n request failed: " + ctx.request().path(), cause);
    error(ctx, e.code.status, e.getMessage());
  }

  /** Voedger's API v2 error body: {@code {"message": "...", "status": n}}. */
  private static void error(RoutingContext ctx, int status, String message) {
    if (ctx.response().ended()) return;
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("message", message).put("status", status).encode());
  }
}
