package io.ecb.bridge;

import io.ecb.transport.SockJsCodec;
import io.ecb.auth.Caller;
import io.ecb.chat.ChatService;
import io.ecb.error.EcbException;
import io.ecb.chat.Paging;
import io.ecb.config.EcbConfig;
import io.ecb.delivery.Fanout;
import io.ecb.delivery.StreamGrant;
import io.ecb.http.ClientAddress;
import io.ecb.transport.Origins;
import io.ecb.module.Module;
import io.ecb.module.Periodic;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.Transport;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The event-bus bridge at {@code /eventbus}: the standard Vert.x SockJS bridge protocol, so the
 * official {@code @vertx/eventbus-bridge-client.js} and sockjs-client work unchanged.
 *
 * <p>SockJS's WebSocket transport ({@code /eventbus/<server>/<session>/websocket}) and the raw
 * WebSocket ({@code /eventbus/websocket}) are served here directly, so a stream payload is encoded
 * once per node and the same frame is written to every socket; SockJS's HTTP fallbacks are served
 * by {@link SockJsHttpTransports}, with the same bound on what waits for a client. Requests are
 * served by {@link ChatService} on this node; stream payloads come from the node's {@link Fanout},
 * one event-bus consumer per stream.
 */
public final class BridgeServer implements Module {

  /** A request address: the connection's caller, tokens from the frame's headers, and its body (null when not an object). */
  @FunctionalInterface
  interface Operation {
    Future<JsonObject> call(Caller caller, JsonObject headers, JsonObject body);
  }

  /** Decides a registration on another module's addresses: the stream to follow, or the refusal. */
  @FunctionalInterface
  public interface StreamAuthorizer {
    Future<StreamGrant> authorize(Caller caller, String address, JsonObject headers);
  }

  private final Vertx vertx;
  private final ChatService chat;
  final Fanout fanout;
  private final EcbConfig config;
  final int maxFrameBytes;
  final int maxSubscriptions;
  final Set<BridgeConnection> connections = ConcurrentHashMap.newKeySet();
  private final Map<String, Operation> operations;
  final SockJsHttpTransports httpTransports;
  private final Map<String, StreamAuthorizer> extraStreams = new ConcurrentHashMap<>();
  public final LongAdder refused = new LongAdder();
  public final LongAdder slowConsumers = new LongAdder();
  private volatile boolean draining;
  static final long SWEEP_MS = 2_500;
  /** In how many turns every connection's heartbeat is checked once. */
  static final int HEARTBEAT_SLOTS = 5;
  private long heartbeatTurns;
  private final Periodic pingSweep;
  private final Periodic heartbeats;

  public BridgeServer(Vertx vertx, ChatService chat, Fanout fanout, EcbConfig config) {
    this.vertx = vertx;
    this.chat = chat;
    this.fanout = fanout;
    this.config = config;
    this.maxFrameBytes = config.http.maxFrameBytes;
    this.maxSubscriptions = config.limits.subscriptionsPerConnection;
    this.httpTransports = new SockJsHttpTransports(this, config.limits.outboundQueueBytes);
    this.pingSweep = new Periodic(vertx, SWEEP_MS, this::sweepPings);
    this.heartbeats = new Periodic(vertx, heartbeatTurnMs(), this::heartbeatTurn);
    this.operations = Map.of(
      "ecb.getUserToken", (c, h, b) -> chat.getUserToken(c, body(b)),
      "ecb.getContacts", (c, h, b) -> chat.getContacts(c, h.getString("userToken"), Paging.of(body(b))),
      "ecb.getThreads", (c, h, b) -> chat.getThreads(c, h.getString("userToken"), Paging.of(body(b))),
      "ecb.createThread", (c, h, b) -> chat.createThread(c, h.getString("userToken"), body(b)),
      "ecb.getThread", (c, h, b) -> chat.getThread(c, h.getString("userToken"), h.getString("threadToken"), null, body(b)),
      "ecb.sendMessage", (c, h, b) -> chat.sendMessage(c, h.getString("userToken"), h.getString("threadToken"), null, body(b)),
      "ecb.recover", (c, h, b) -> chat.live.recover(c, h.getString("userToken"), h.getString("threadToken"), body(b)),
      "ecb.getPresence", (c, h, b) -> chat.live.getPresence(c, h.getString("userToken"), h.getString("threadToken"), null),
      "ecb.markRead", (c, h, b) -> chat.live.markRead(c, h.getString("userToken"), h.getString("threadToken"), null, body(b)));
  }

  private static JsonObject body(JsonObject b) {
    if (b == null) throw EcbException.badRequest("body must be a JSON object");
    return b;
  }

  Operation operation(String address) {
    return operations.get(address);
  }

  /**
   * Lets another module accept registrations on addresses with {@code prefix} (push profiles):
   * the function checks the headers and returns the stream to follow.
   */
  public void addStreamAddresses(String prefix, StreamAuthorizer authorizer) {
    extraStreams.put(prefix, authorizer);
  }

  Future<StreamGrant> authorize(Caller caller, String address, JsonObject headers) {
    for (var e : extraStreams.entrySet()) {
      if (address.startsWith(e.getKey())) return e.getValue().authorize(caller, address, headers);
    }
    return chat.authorizeSubscription(caller, address, headers.getString("userToken"), headers.getString("threadToken"));
  }

  /** Mounts the bridge on {@code router} at {@code /eventbus}. */
  public void mount(Router router) {
    router.get("/eventbus/websocket").handler(ctx -> upgrade(ctx, false));
    router.get("/eventbus/:server/:session/websocket").handler(ctx -> upgrade(ctx, true));
    // The stock handler serves /info, the iframe page and the greeting; every transport is served
    // here. Its iframe page loads sockjs-client from this node rather than from a CDN.
    SockJSHandlerOptions options = new SockJSHandlerOptions().setRegisterWriteHandler(false)
      .setLibraryURL("/webjars/sockjs-client/1.6.1/dist/sockjs.min.js");
    for (Transport t : List.of(Transport.XHR, Transport.EVENT_SOURCE, Transport.HTML_FILE, Transport.JSON_P)) {
      options.addDisabledTransport(t.toString());
    }
    router.route("/eventbus/*").handler(ctx -> {
      if (!Origins.allowed(ctx, config.http.allowedOrigins)) {
        ctx.response().setStatusCode(403).end("origin not allowed");
      } else {
        ctx.next();
      }
    });
    httpTransports.mount(router);
    // Its WebSocket transport stays enabled only so that /info offers WebSocket: the routes above
    // take every WebSocket request first.
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, options).socketHandler(SockJSSocket::close));
  }

  private void upgrade(RoutingContext ctx, boolean sockJs) {
    if (!ctx.request().canUpgradeToWebSocket()) {
      ctx.response().setStatusCode(400).end("Can \"Upgrade\" only to \"WebSocket\".");
      return;
    }
    if (!Origins.allowed(ctx, config.http.allowedOrigins)) {
      ctx.response().setStatusCode(403).end("origin not allowed");
      return;
    }
    if (draining) {
      ctx.response().setStatusCode(503).end("server shutting down");
      return;
    }
    HttpConnection connection = ctx.request().connection();
    SocketAddress client = ClientAddress.of(ctx);
    ctx.request().toWebSocket()
      .onSuccess(ws -> accept(ws, connection, client, sockJs))
      .onFailure(e -> {
        if (!ctx.response().ended() && !ctx.response().headWritten()) ctx.response().setStatusCode(400).end("WebSocket upgrade failed");
      });
  }

  private void accept(ServerWebSocket ws, HttpConnection connection, SocketAddress client, boolean sockJs) {
    BridgeConnection session = new BridgeConnection(this, client, s -> new WebSocketTransport(ws, connection, sockJs,
      config.limits.outboundQueueBytes, () -> {
        slowConsumers.increment();
        s.closeLater(CloseReason.SLOW_CONSUMER);
      }));
    connections.add(session);
    if (sockJs) {
      ws.textMessageHandler(text -> {
        List<String> frames = SockJsCodec.decode(text);
        if (frames == null) session.close(CloseReason.PROTOCOL_ERROR);
        else frames.forEach(session::onFrame);
      });
    } else {
      ws.textMessageHandler(session::onFrame);
      ws.binaryMessageHandler(session::onFrame);
    }
    ws.closeHandler(v -> session.closed());
    // A message past the size limit (Vert.x reports a fragmented one here and leaves the socket
    // open), a broken frame or a failed write: the session is over, and so is the socket, lest it
    // linger outside the ping sweep and the connection count.
    ws.exceptionHandler(e -> session.close(CloseReason.PROTOCOL_ERROR));
    session.transport().open();
  }

  /** Closes connections whose pings stopped; runs every {@link #SWEEP_MS}. */
  void sweepPings() {
    long deadline = System.currentTimeMillis() - config.limits.pingTimeoutMs;
    for (BridgeConnection s : connections) {
      if (s.lastPing < deadline) s.closeLater(CloseReason.PING_TIMEOUT);
    }
  }

  /**
   * One turn of heartbeat checks, for the connections in this turn's slot; runs every
   * {@link #heartbeatTurnMs()}. Each connection is checked twice per {@code limits.heartbeatSeconds}
   * and sends SockJS {@code h} only when nothing else went out for that long, so an idle
   * connection hears from the server every {@code heartbeatSeconds} (25 s, as SockJS servers do)
   * and a busy one never needs a heartbeat. Checking all connections at once wrote
   * thousands of frames in one burst that held up every event loop (src/bench/README.md, S3).
   */
  public void heartbeatTurn() {
    int slot = (int) (heartbeatTurns++ % HEARTBEAT_SLOTS);
    for (BridgeConnection s : connections) {
      if (s.heartbeatSlot == slot) s.transport().heartbeat();
    }
  }

  long heartbeatTurnMs() {
    return Math.max(1, config.limits.heartbeatSeconds * 1000 / (2 * HEARTBEAT_SLOTS));
  }

  public int connectionCount() {
    return connections.size();
  }

  boolean draining() {
    return draining;
  }

  @Override
  public Future<Void> start() {
    return Future.all(pingSweep.start(), heartbeats.start()).mapEmpty();
  }

  /** Stops accepting and tells every client to reconnect elsewhere. */
  @Override
  public Future<Void> stop() {
    pingSweep.stop();
    heartbeats.stop();
    draining = true;
    connections.forEach(s -> s.closeLater(CloseReason.SHUTDOWN));
    return Future.succeededFuture();
  }
}
