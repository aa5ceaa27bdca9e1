package io.ecb.push.n10n;

import io.ecb.chat.ChatService;
import io.ecb.engine.Engine;
import io.ecb.http.HttpBodies;
import io.ecb.module.Module;
import io.ecb.auth.ChatUser;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.config.EcbConfig;
import io.ecb.delivery.Fanout;
import io.ecb.delivery.Streams;
import io.ecb.http.ChatApi;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import static io.ecb.push.n10n.ApiErrors.app;
import static io.ecb.push.n10n.ApiErrors.error;
import static io.ecb.push.n10n.ApiErrors.fail;

/**
 * Voedger-style notifications over SSE ("n10n", API v2): a client opens a channel with
 * {@code POST /api/v2/apps/{owner}/{app}/notifications} and a list of {@code {entity, wsid}}
 * subscriptions, gets {@code event: channelID}, then {@code event: update} whenever a backend
 * service publishes {@code {offset}} on channel {@code <owner>/<app>/<entity>@<wsid>} through the
 * native publish API. Subscriptions are added and removed on a live channel with PUT/DELETE
 * {@code .../notifications/{channelId}/workspaces/{wsid}/subscriptions/{entity}} through any node.
 *
 * <p>This class holds the HTTP API. A channel ({@link Channel}) lives on the node that holds its
 * SSE response ({@link ChannelRegistry}); which node that is, and the per-user counts the quotas
 * need, are kept cluster-wide ({@link ChannelDirectory}). PUT/DELETE on another node's channel are
 * forwarded to that node over the event bus ({@code ecb.n10n.node.<nodeId>}).
 */
public final class NotificationsSseProfile implements Module {

  private static final Logger LOG = Logger.getLogger(NotificationsSseProfile.class.getName());

  public static final String HEARTBEAT = "sys.Heartbeat30";

  private final ChatService chat;
  private final int maxFrameBytes;
  final Vertx vertx;
  final Fanout fanout;
  final ChannelDirectory directory;
  final ChannelRegistry registry;
  final int outboundQueueBytes;
  private MessageConsumer<JsonObject> consumer;

  private final boolean enabled;
  final long heartbeatSeconds;
  final long defaultExpiresInSeconds;
  final int channelsPerUser;
  final int subscriptionsPerUser;
  final int channelsPerNode;

  public NotificationsSseProfile(Vertx vertx, Engine engine, ChatService chat, Fanout fanout, EcbConfig config) {
    this.vertx = vertx;
    this.chat = chat;
    this.fanout = fanout;
    this.maxFrameBytes = config.http.maxFrameBytes;
    this.outboundQueueBytes = config.limits.outboundQueueBytes;
    EcbConfig.N10n conf = config.push.n10n;
    this.enabled = conf.enabled;
    this.heartbeatSeconds = conf.heartbeatSeconds;
    this.defaultExpiresInSeconds = conf.defaultExpiresInSeconds;
    this.channelsPerUser = conf.channelsPerUser;
    this.subscriptionsPerUser = conf.subscriptionsPerUser;
    this.channelsPerNode = conf.channelsPerNode;
    this.directory = new ChannelDirectory(engine, channelsPerUser, subscriptionsPerUser);
    this.registry = new ChannelRegistry(vertx, channelsPerNode, heartbeatSeconds);
  }

  /** Takes channel changes forwarded from other nodes, and starts the heartbeat of this node's channels. */
  @Override
  public Future<Void> start() {
    registry.start();
    consumer = vertx.eventBus().<JsonObject>consumer(nodeAddress(directory.nodeId)).handler(this::onForwarded);
    return consumer.completion();
  }

  private static String nodeAddress(String nodeId) {
    return "ecb.n10n.node." + nodeId;
  }

  /** The stream a backend service publishes a view's updates on: {@code channel:<owner>/<app>/<entity>@<wsid>}. */
  public static String stream(String app, String entity, long wsid) {
    return Streams.channel(app + "/" + entity + "@" + wsid);
  }

  public int channelCount() {
    return registry.size();
  }

  @Override
  public void mount(Router router) {
    if (!enabled) return;
    String base = "/api/v2/apps/:owner/:app/notifications";
    String sub = base + "/:channelId/workspaces/:wsid/subscriptions/:entity";
    router.post(base).handler(BodyHandler.create(false).setBodyLimit(maxFrameBytes));
    router.put(sub).handler(BodyHandler.create(false).setBodyLimit(maxFrameBytes));
    router.post(base).handler(this::open);
    router.put(sub).handler(ctx -> change(ctx, true));
    router.delete(sub).handler(ctx -> change(ctx, false));
    router.route(base).handler(ctx -> error(ctx, 405, "method not allowed"));
    router.route(sub).handler(ctx -> error(ctx, 405, "method not allowed"));
    router.route(base + "/*").handler(ctx -> error(ctx, 404, "no such resource"));
    router.route(base).failureHandler(ApiErrors::failure);
    router.route(base + "/*").failureHandler(ApiErrors::failure);
  }

  /** Ends every channel of this node (clients reconnect elsewhere) and stops the heartbeat. */
  @Override
  public Future<Void> stop() {
    registry.close();
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  // ---- create a channel

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
      subs = Sub.list(body.getValue("subscriptions"), Math.max(subscriptionsPerUser, 1) * 4);
      expiresIn = expiresIn(body);
    } catch (EcbException e) {
      fail(ctx, e);
      return;
    }
    Context context = Vertx.currentContext();
    user(ctx).compose(user -> {
      for (Sub s : subs) authorize(user, app, s.entity());
      if (!registry.reserve()) throw new EcbException(ErrorCode.RATE_LIMITED, "quota exceeded: number of channels");
      String channelId = UUID.randomUUID().toString();
      long expiresAt = System.currentTimeMillis() + expiresIn * 1000;
      Channel channel = new Channel(this, ctx, context, channelId, user.userId(), app, expiresAt);
      for (Sub s : subs) channel.wanted(s);
      return directory.open(user.userId(), channelId, expiresAt, channel.count())
        .onFailure(e -> registry.release())
        .compose(v -> channel.start(expiresIn));
    }).onFailure(e -> fail(ctx, e));
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
    if (!chat.mayFollowChannel(user, app + "/" + entity)) {
      throw EcbException.forbidden("not allowed to read " + entity + " in " + app + " (the userToken's channels must name " + app + "/" + entity + ")");
    }
  }

  private Future<ChatUser> user(RoutingContext ctx) {
    String token = ChatApi.bearer(ctx);
    if (token == null) return Future.failedFuture(EcbException.unauthorized("Authorization: Bearer <userToken> is required"));
    return chat.caller(ChatApi.caller(ctx), token);
  }

  // ---- PUT / DELETE a subscription on a live channel, through any node

  private void change(RoutingContext ctx, boolean add) {
    String app = app(ctx);
    if (app == null) return;
    Sub s;
    try {
      if (ctx.body() != null && ctx.body().length() > 0) throw EcbException.badRequest("unexpected body");
      s = Sub.of(ctx.pathParam("entity"), ctx.pathParam("wsid"));
    } catch (EcbException e) {
      fail(ctx, e);
      return;
    }
    String channelId = ctx.pathParam("channelId");
    user(ctx).compose(user -> {
      if (add) authorize(user, app, s.entity());
      return directory.nodeOf(user.userId(), channelId).compose(nodeId -> {
        if (nodeId == null) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
        JsonObject request = new JsonObject().put("op", add ? "subscribe" : "unsubscribe").put("channelId", channelId)
          .put("userId", user.userId()).put("app", app).put("entity", s.entity()).put("wsid", s.wsid());
        return vertx.eventBus().<JsonObject>request(nodeAddress(nodeId), request, new DeliveryOptions().setSendTimeout(5000))
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
    Channel c = registry.get(r.getString("channelId"));
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
}
