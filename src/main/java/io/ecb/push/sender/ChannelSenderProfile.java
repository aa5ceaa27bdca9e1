package io.ecb.push.sender;

import io.ecb.cluster.ClusterSecrets;
import io.ecb.auth.Caller;
import io.ecb.auth.FailedChecks;
import io.ecb.config.EcbConfig;
import io.ecb.engine.Engine;
import io.ecb.module.Module;
import io.ecb.http.ChatApi;
import io.ecb.http.ClientAddress;
import io.ecb.push.PushApi;
import io.ecb.transport.Origins;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The Channel Sender profile (bancolombia/async-dataflow channel-sender), SPEC section 6: its REST
 * API under {@code /ext/channel}, its WebSocket {@code /ext/socket} and SSE {@code /ext/sse}
 * transports, as a thin adapter on ECB's cluster.
 *
 * <p>How it maps onto the cluster:
 * <ul>
 *   <li>Channels and their unacknowledged messages live in Hazelcast ({@link ChannelStore}); a
 *   channel's connection lives on one node ({@link SenderConnection}). The server secret does not:
 *   it comes from {@code push.channelSender.secret} (see ClusterSecrets).</li>
 *   <li>A delivery stores the message in the channel's queue, then publishes it on the event-bus
 *   address {@code ecb.sender.<ref>}, consumed by whichever node holds the channel's connection.
 *   The same address carries "replace" (a newer connection authenticated: older ones close with
 *   3009) and "delete" events.</li>
 *   <li>Secrets are self-contained signed tokens ({@link ChannelSecrets}): any node verifies them.</li>
 * </ul>
 *
 * <p>A node {@link Module}: {@link #mount} on every HTTP verticle's router, {@link #start} loads
 * the server secret, {@link #stop} sends this node's clients elsewhere.
 */
public final class ChannelSenderProfile implements Module {

  private static final Logger LOG = Logger.getLogger(ChannelSenderProfile.class.getName());
  private static final Pattern REF = Pattern.compile("[A-Za-z0-9_.\\-]{11,128}");
  private static final JsonObject OK = new JsonObject().put("result", "Ok");
  private static final String[] TARGETS = {"channel_ref", "app_ref", "user_ref"};

  final Vertx vertx;
  final SenderConfig config;
  final ChannelStore store;
  /** Live connections on this node (closed with 3050 when the node stops). */
  final Set<SenderConnection> connections = ConcurrentHashMap.newKeySet();
  private final EcbConfig nodeConfig;
  private final FailedChecks failedChecks;
  private final String serverSecret;
  /** How often a quiet connection gets a ping (http.keepAliveSeconds). */
  final long keepAliveMs;
  /** How much an SSE connection may leave unsent before it is closed (limits.outboundQueueBytes). */
  final int outboundQueueBytes;
  private final Promise<ChannelSecrets> secrets = Promise.promise();
  private volatile ChannelSecrets readySecrets;

  public ChannelSenderProfile(Vertx vertx, Engine engine, FailedChecks failedChecks, EcbConfig config) {
    this.vertx = vertx;
    this.nodeConfig = config;
    this.failedChecks = failedChecks;
    this.config = SenderConfig.from(config.push.channelSender);
    this.keepAliveMs = config.http.keepAliveSeconds * 1000;
    this.outboundQueueBytes = config.limits.outboundQueueBytes;
    this.store = new ChannelStore(engine, this.config.channelTtlSeconds(), this.config.maxPending());
    // The server secret comes from config (or is derived from it), never from a cluster map.
    this.serverSecret = ClusterSecrets.of(config).channelSenderSecret();
  }

  /**
   * Settles once the server secret is loaded, or could not be (then requests get 428 / retry
   * later, and the log says why). The node opens its port after that, so that a client that
   * reaches a node which has just started is not told to retry for that reason alone.
   */
  @Override
  public Future<Void> start() {
    store.start()
      .map(v -> new ChannelSecrets(serverSecret, config.maxAgeSeconds()))
      .onSuccess(s -> readySecrets = s)
      .onFailure(e -> LOG.severe("Channel Sender could not load its server secret: " + e))
      .onComplete(secrets);
    return secrets.future().<Void>mapEmpty().otherwiseEmpty();
  }

  /** The event-bus address of a channel's messages and control events. */
  static String address(String ref) {
    return "ecb.sender." + ref;
  }

  /** The signer/verifier; only used by connections, which exist once the secret is loaded. */
  ChannelSecrets secrets() {
    return readySecrets;
  }

  /**
   * Checks a client's channel secret within {@code caller}'s budget of failed token checks; null,
   * unchecked, when the caller is past it (the client is then told to retry later).
   */
  ChannelSecrets.Verified verifySecret(Caller caller, String secret, String ref) {
    FailedChecks limit = failedChecks;
    if (!limit.admit(caller)) return null;
    ChannelSecrets.Verified v = readySecrets.verify(secret, ref);
    if (!v.ok()) limit.failed(caller);
    return v;
  }

  @Override
  public void mount(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());
    router.post("/ext/channel/create").handler(body).handler(ctx -> rest(ctx, this::create));
    router.post("/ext/channel/deliver_message").handler(body).handler(ctx -> rest(ctx, this::deliver));
    router.post("/ext/channel/deliver_batch").handler(body).handler(ctx -> rest(ctx, this::deliver));
    router.delete("/ext/channel").handler(ctx -> rest(ctx, this::delete));
    router.get("/ext/channel/count").handler(ctx -> rest(ctx, this::count));
    router.get("/ext/socket").handler(this::socket);
    // Browsers read the stream only from the origins http.allowedOrigins allows, as every SSE transport.
    Origins.guard(router, "/ext/sse", nodeConfig.http.allowedOrigins, Set.of(HttpMethod.GET, HttpMethod.OPTIONS), Set.of("Authorization"),
      ctx -> json(ctx, 403, new JsonObject().put("error", "Forbidden")));
    router.get("/ext/sse").handler(this::sse);
    router.route("/ext/*").handler(ctx -> ctx.response().setStatusCode(404).end("Route not found."));
  }

  /** Closes this node's connections with 3050 (retry later), so clients reconnect to another node. */
  @Override
  public Future<Void> stop() {
    for (SenderConnection c : List.copyOf(connections)) {
      c.context.runOnContext(v -> c.close(SenderConnection.RETRY_LATER));
    }
    return Future.succeededFuture();
  }

  // ---- REST ----------------------------------------------------------------------------------

  /** Runs a REST handler once the publisher key was checked (unless open) and the secret is loaded. */
  private void rest(RoutingContext ctx, java.util.function.Consumer<RoutingContext> handler) {
    if (!config.open() && !PushApi.isPublisher(ctx, nodeConfig)) {
      json(ctx, 401, new JsonObject().put("error", "Unauthorized"));
      return;
    }
    secrets.future().onSuccess(s -> handler.accept(ctx)).onFailure(e -> json(ctx, 503, new JsonObject().put("error", "Unavailable")));
  }

  private static void json(RoutingContext ctx, int status, Object body) {
    if (ctx.response().ended()) return;
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
      .end(body instanceof JsonObject o ? o.encode() : String.valueOf(body));
  }

  private static JsonObject bodyOf(RoutingContext ctx) {
    try {
      return ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static void invalid(RoutingContext ctx, Object request) {
    json(ctx, 400, new JsonObject().put("error", "Invalid request").put("request", request));
  }

  private static String text(JsonObject o, String key) {
    return o.getValue(key) instanceof String s && !s.isBlank() && s.length() <= 255 ? s : null;
  }

  /** {@code POST /ext/channel/create {application_ref, user_ref}} → {@code {channel_ref, channel_secret}}. */
  private void create(RoutingContext ctx) {
    JsonObject body = bodyOf(ctx);
    String app = body == null ? null : text(body, "application_ref");
    String user = body == null ? null : text(body, "user_ref");
    if (app == null || user == null) {
      invalid(ctx, body);
      return;
    }
    String ref = UUID.randomUUID().toString().replace("-", "");
    String secret = readySecrets.issue(ref, app, user);
    store.create(ref, app, user)
      .onSuccess(v -> json(ctx, 200, new JsonObject().put("channel_ref", ref).put("channel_secret", secret)))
      .onFailure(e -> json(ctx, 503, new JsonObject().put("error", "Unavailable")));
  }

  /** A message that passed validation: its wire form {@code {mid, cid, event, data}} and its target. */
  private record Valid(JsonObject message, String targetKind, String target) {
  }

  /**
   * Validates one message: non-empty message_id and event_name, non-null message_data,
   * correlation_id a string or null (on a single delivery the key must be present), and exactly one
   * of channel_ref, app_ref, user_ref. Null when invalid.
   */
  private static Valid validate(Object raw, boolean single) {
    if (!(raw instanceof JsonObject m)) return null;
    String mid = text(m, "message_id");
    String event = text(m, "event_name");
    Object data = m.getValue("message_data");
    Object cid = m.getValue("correlation_id");
    if (mid == null || event == null || data == null) return null;
    if (single && !m.containsKey("correlation_id")) return null;
    if (cid != null && !(cid instanceof String)) return null;
    String kind = null;
    String target = null;
    for (String key : TARGETS) {
      if (m.getValue(key) == null) continue;
      if (kind != null) return null; // more than one addressing key
      kind = key;
      target = text(m, key);
      if (target == null) return null;
    }
    if (kind == null) return null;
    JsonObject message = new JsonObject().put("mid", mid).put("cid", cid == null ? "" : cid).put("event", event)
      .put("data", data).put("ts", System.currentTimeMillis());
    return new Valid(message, kind, target);
  }

  /** deliver_message and deliver_batch: one handler, the body's shape picks the behaviour (as in the original). */
  private void deliver(RoutingContext ctx) {
    JsonObject body = bodyOf(ctx);
    if (body == null) {
      invalid(ctx, null);
      return;
    }
    if (!body.containsKey("messages")) {
      Valid v = validate(body, true);
      if (v == null) {
        invalid(ctx, body);
        return;
      }
      route(v).onSuccess(x -> json(ctx, 202, OK))
        .onFailure(e -> json(ctx, 503, new JsonObject().put("error", "Unavailable")));
      return;
    }
    if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
      invalid(ctx, body);
      return;
    }
    // Only the first batchLimit are processed; the rest are reported as discarded, like invalid ones.
    List<Valid> accepted = new ArrayList<>();
    JsonArray discarded = new JsonArray();
    for (int i = 0; i < messages.size(); i++) {
      Valid v = i < config.batchLimit() ? validate(messages.getValue(i), false) : null;
      if (v == null) discarded.add(messages.getValue(i));
      else accepted.add(v);
    }
    JsonObject report = new JsonObject().put("accepted_messages", accepted.size())
      .put("discarded_messages", discarded.size()).put("discarded", discarded);
    if (accepted.isEmpty()) {
      json(ctx, 400, new JsonObject().put("result", "invalid-messages").mergeIn(report));
      return;
    }
    // One after the other, so a channel gets the batch's messages in the batch's order.
    Future<Void> routed = Future.succeededFuture();
    for (Valid v : accepted) routed = routed.compose(x -> route(v));
    routed
      .onSuccess(x -> json(ctx, 202, discarded.isEmpty() ? OK : new JsonObject().put("result", "partial-success").mergeIn(report)))
      .onFailure(e -> json(ctx, 503, new JsonObject().put("error", "Unavailable")));
  }

  /** Delivers to the one channel, or to every channel of the application / user (fan-out through the Hazelcast index). */
  private Future<Void> route(Valid v) {
    if (v.targetKind().equals("channel_ref")) return deliverTo(v.target(), v.message());
    String field = v.targetKind().equals("app_ref") ? "app" : "user";
    return store.refsBy(field, v.target()).compose(refs -> {
      List<Future<Void>> all = new ArrayList<>();
      for (String ref : refs) all.add(deliverTo(ref, v.message()));
      return Future.all(all).mapEmpty();
    });
  }

  /**
   * Stores the message in the channel's queue (until acked), then publishes it to the node holding
   * the channel's connection, if any. A message for a channel that does not exist is dropped: 202
   * means accepted, not delivered.
   */
  private Future<Void> deliverTo(String ref, JsonObject message) {
    return store.touch(ref).compose(channel -> {
      if (channel == null) {
        LOG.fine("no channel " + ref + "; message " + message.getString("mid") + " dropped");
        return Future.succeededFuture();
      }
      return store.enqueue(ref, message).map(evicted -> {
        vertx.eventBus().publish(address(ref), new JsonObject().put("type", "msg").put("msg", message));
        return null;
      });
    });
  }

  /** {@code DELETE /ext/channel?channel_ref=}: removes the channel and its queue; its connection closes with 3000. */
  private void delete(RoutingContext ctx) {
    String ref = ctx.queryParams().get("channel_ref");
    if (ref == null || ref.isBlank()) {
      invalid(ctx, new JsonObject());
      return;
    }
    store.delete(ref).onSuccess(v -> {
      vertx.eventBus().publish(address(ref), new JsonObject().put("type", "delete"));
      json(ctx, 202, OK);
    }).onFailure(e -> json(ctx, 503, new JsonObject().put("error", "Unavailable")));
  }

  /** {@code GET /ext/channel/count}: channels in the whole cluster. */
  private void count(RoutingContext ctx) {
    store.count().onSuccess(n -> json(ctx, 200, new JsonObject().put("total_channels", n)))
      .onFailure(e -> json(ctx, 503, new JsonObject().put("error", "Unavailable")));
  }

  // ---- transports ----------------------------------------------------------------------------

  private static boolean validRef(String ref) {
    return ref != null && REF.matcher(ref).matches();
  }

  private static void transportError(RoutingContext ctx, int status, String code) {
    ctx.response().setStatusCode(status).putHeader("x-error-code", code).putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("error", code).encode());
  }

  /** {@code GET /ext/socket?channel=<ref>}: the WebSocket transport; a bad request is refused with 400 / 3006. */
  private void socket(RoutingContext ctx) {
    String ref = ctx.queryParams().get("channel");
    boolean upgrade = "websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"));
    if (!validRef(ref) || !upgrade || readySecrets == null) {
      transportError(ctx, readySecrets == null && upgrade && validRef(ref) ? 428 : 400,
        readySecrets == null && upgrade && validRef(ref) ? SenderConnection.RETRY_LATER : SenderConnection.BAD_REQUEST);
      return;
    }
    // Clients that offer sub-protocols get json_flow (the binary_flow encoding is not provided).
    if (ctx.request().getHeader("Sec-WebSocket-Protocol") != null) {
      ctx.response().putHeader("Sec-WebSocket-Protocol", "json_flow");
    }
    var connection = ctx.request().connection();
    var client = ClientAddress.of(ctx);
    ctx.request().toWebSocket().onSuccess(ws -> new WsConnection(this, ws, connection, client, ref));
  }

  /** {@code GET /ext/sse?channel=<ref>} with {@code Authorization: Bearer <channel_secret>}. */
  private void sse(RoutingContext ctx) {
    String ref = ctx.queryParams().get("channel");
    if (!validRef(ref)) {
      transportError(ctx, 400, SenderConnection.BAD_REQUEST);
      return;
    }
    if (readySecrets == null) {
      transportError(ctx, 428, SenderConnection.RETRY_LATER);
      return;
    }
    ChannelSecrets.Verified v = verifySecret(ChatApi.caller(ctx), ChatApi.bearer(ctx), ref);
    if (v == null) {
      transportError(ctx, 429, SenderConnection.RETRY_LATER);
      return;
    }
    if (!v.ok()) {
      transportError(ctx, 401, SenderConnection.BAD_SECRET);
      return;
    }
    SseConnection c = new SseConnection(this, ctx.response(), ref);
    c.start(v.claims()).onFailure(e -> {
      if (!ctx.response().headWritten()) transportError(ctx, 428, SenderConnection.RETRY_LATER);
    });
  }
}
