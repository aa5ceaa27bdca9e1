package io.ecb.socketio;

import io.ecb.auth.Caller;
import io.ecb.auth.VerifiedUser;
import io.ecb.chat.ChatService;
import io.ecb.error.EcbException;
import io.ecb.chat.Paging;
import io.ecb.config.EcbConfig;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.Fanout;
import io.ecb.delivery.StreamGrant;
import io.ecb.engine.StreamLog;
import io.ecb.http.ClientAddress;
import io.ecb.transport.Origins;
import io.ecb.module.Module;
import io.ecb.module.Periodic;
import io.ecb.push.notify.ChannelNotifyProfile;
import io.ecb.socketio.EngineIo.Frame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Socket.IO at {@code /socket.io/} (SPEC section 3b), for socket.io-client 4.x unchanged: Engine.IO
 * v4 over HTTP long-polling and WebSocket with the upgrade from one to the other, Socket.IO v5
 * packets, namespace {@code /chat} (the chat API) and {@code /} (the Channel notify profile).
 *
 * <p>The protocol is written here rather than taken from a library: the Java socket.io-server
 * serves polling only through the servlet API, and netty-socketio pins Netty 4.1, while this node
 * runs Vert.x 5 on Netty 4.2.
 *
 * <p>Like the bridge, requests go to {@link ChatService} on this node and stream payloads come
 * from the node's {@link Fanout}; each payload's packet (and its WebSocket frame) is built once per
 * node and the same bytes are written to every socket ({@link #frame(Delivery)}).
 */
public final class SocketIoServer implements Module {

  /** A {@code /chat} operation: the connection, its userToken (maybe null) and the emitted body. */
  @FunctionalInterface
  interface Operation {
    Future<JsonObject> call(Caller caller, String userToken, JsonObject body);
  }

  static final String CHAT = "/chat";
  static final String ROOT = "/";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  final Vertx vertx;
  private final ChatService chat;
  final Fanout fanout;
  final StreamLog log;
  final ChannelNotifyProfile notify;
  final EcbConfig config;
  final int maxPayload;
  final int maxSubscriptions;
  final int outboundBytes;
  private final Map<String, Operation> operations;
  final Map<String, EngineSession> sessions = new ConcurrentHashMap<>();
  public final LongAdder slowConsumers = new LongAdder();
  public final LongAdder protocolErrors = new LongAdder();
  private volatile boolean draining;
  /** How often each session's pings, pong deadlines, upgrade timeouts and checkpoint are seen to. */
  static final long SWEEP_MS = 1_000;
  /**
   * The sweep visits one slice of the sessions at a time, each slice once per {@link #SWEEP_MS}:
   * a checkpoint or ping due on every socket at once would otherwise be a thousand writes in one
   * task, and every payload arriving meanwhile would wait for them.
   */
  private static final int SLICES = 50;
  private final List<Set<EngineSession>> slices = new ArrayList<>(SLICES);
  private final AtomicInteger nextSlice = new AtomicInteger();
  private int sweptSlice;
  private final Periodic sweeper;

  public SocketIoServer(Vertx vertx, ChatService chat, Fanout fanout, StreamLog log, ChannelNotifyProfile notify, EcbConfig config) {
    this.vertx = vertx;
    this.chat = chat;
    this.fanout = fanout;
    this.log = log;
    this.notify = notify;
    this.config = config;
    this.maxPayload = config.http.maxFrameBytes;
    this.maxSubscriptions = config.limits.subscriptionsPerConnection;
    this.outboundBytes = config.limits.outboundQueueBytes;
    for (int i = 0; i < SLICES; i++) slices.add(ConcurrentHashMap.newKeySet());
    this.sweeper = new Periodic(vertx, SWEEP_MS / SLICES, this::sweep);
    // Every call into ChatService is here, with the tokens each takes.
    this.operations = Map.of(
      "getUserToken", (c, t, b) -> chat.getUserToken(c, b),
      "getContacts", (c, t, b) -> chat.getContacts(c, t, Paging.of(b)),
      "getThreads", (c, t, b) -> chat.getThreads(c, t, Paging.of(b)),
      "createThread", chat::createThread,
      "getThread", (c, t, b) -> chat.getThread(c, t, threadToken(b), null, b),
      "sendMessage", (c, t, b) -> chat.sendMessage(c, t, threadToken(b), null, b),
      "recover", (c, t, b) -> chat.live.recover(c, t, b.getValue("threadToken") instanceof String s ? s : null, b),
      "getPresence", (c, t, b) -> chat.live.getPresence(c, t, threadToken(b), null),
      "markRead", (c, t, b) -> chat.live.markRead(c, t, threadToken(b), null, b));
  }

  private static String threadToken(JsonObject body) {
    if (body.getValue("threadToken") instanceof String s && !s.isEmpty()) return s;
    throw EcbException.unauthorized("threadToken is required");
  }

  Operation operation(String name) {
    return operations.get(name);
  }

  /** The userToken a {@code /chat} CONNECT brings: verified (not remembered) and charged like a request. */
  Future<VerifiedUser> connectUser(Caller caller, String userToken) {
    return chat.connectionUser(caller, userToken);
  }

  Future<StreamGrant> authorizeSubscription(Caller caller, String address, VerifiedUser user, String threadToken) {
    return chat.authorizeSubscription(caller, address, user, threadToken);
  }

  /** Mounts {@code /socket.io/} on {@code router}. */
  public void mount(Router router) {
    router.route("/socket.io/").handler(this::handle);
  }

  /** The packet of a stream payload, and its WebSocket frame, built once per payload per node. */
  static Frame frame(Delivery d) {
    return d.encoded(SocketIoServer::encode);
  }

  private static Frame encode(Delivery d) {
    JsonObject payload = new JsonObject(d.payload);
    Buffer packet = Buffer.buffer(d.payload.length() + 32);
    if (d.stream.startsWith(ChannelNotifyProfile.STREAM_PREFIX)) {
      // Channel notify's clients get the published msg as it was posted.
      packet.appendString("42[\"notification\",").appendString(Json.encode(payload.getValue("data")));
    } else {
      Object kind = payload.getValue("kind");
      packet.appendString("42" + CHAT + ",[").appendString(Json.encode(kind instanceof String k ? k : "message"))
        .appendByte((byte) ',').appendBuffer(d.payload);
    }
    return Frame.of(packet.appendByte((byte) ']').getBytes());
  }

  // ---- HTTP

  private void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    HttpServerResponse res = ctx.response();
    String origin = req.getHeader("Origin");
    if (!Origins.allowed(ctx, config.http.allowedOrigins)) {
      error(res, EngineIo.Error.FORBIDDEN);
      return;
    }
    if (origin != null) {
      // Polling from another allowed origin is a cross-origin XHR.
      res.putHeader("Access-Control-Allow-Origin", origin).putHeader("Vary", "Origin");
    }
    if (req.method() == HttpMethod.OPTIONS) {
      res.putHeader("Access-Control-Allow-Methods", "GET, POST")
        .putHeader("Access-Control-Allow-Headers", "Content-Type")
        .setStatusCode(204).end();
      return;
    }
    if (!"4".equals(req.getParam("EIO"))) {
      error(res, EngineIo.Error.UNSUPPORTED_PROTOCOL_VERSION);
      return;
    }
    String transport = req.getParam("transport");
    String sid = req.getParam("sid");
    if ("websocket".equals(transport)) {
      if (req.method() != HttpMethod.GET || !req.canUpgradeToWebSocket()) {
        error(res, EngineIo.Error.BAD_REQUEST);
      } else if (sid == null) {
        if (refuseWhileDraining(res)) return;
        HttpConnection connection = req.connection();
        SocketAddress client = ClientAddress.of(ctx);
        req.toWebSocket().onSuccess(ws -> newSession(client, s -> s.openWebSocket(ws, connection)))
          .onFailure(e -> failedUpgrade(res));
      } else {
        EngineSession session = sessions.get(sid);
        if (session == null) {
          error(res, EngineIo.Error.UNKNOWN_SID);
          return;
        }
        HttpConnection connection = req.connection();
        req.toWebSocket().onSuccess(ws -> session.probe(ws, connection)).onFailure(e -> failedUpgrade(res));
      }
      return;
    }
    if (!"polling".equals(transport)) {
      error(res, EngineIo.Error.UNKNOWN_TRANSPORT);
      return;
    }
    if (sid == null) {
      if (req.method() != HttpMethod.GET) {
        error(res, EngineIo.Error.BAD_HANDSHAKE_METHOD);
        return;
      }
      if (refuseWhileDraining(res)) return;
      newSession(ClientAddress.of(ctx), s -> s.openPolling(res));
      return;
    }
    EngineSession session = sessions.get(sid);
    if (session == null) {
      error(res, EngineIo.Error.UNKNOWN_SID);
    } else if (req.method() == HttpMethod.GET) {
      session.poll(res);
    } else if (req.method() == HttpMethod.POST) {
      readBody(req, res, session);
    } else {
      error(res, EngineIo.Error.BAD_REQUEST);
    }
  }

  private boolean refuseWhileDraining(HttpServerResponse res) {
    if (!draining) return false;
    res.setStatusCode(503).putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("code", EngineIo.Error.BAD_REQUEST.code).put("message", "Server shutting down").encode());
    return true;
  }

  private static void failedUpgrade(HttpServerResponse res) {
    if (!res.ended() && !res.headWritten()) error(res, EngineIo.Error.BAD_REQUEST);
  }

  private void newSession(SocketAddress remote, java.util.function.Consumer<EngineSession> open) {
    byte[] id = new byte[15];
    RANDOM.nextBytes(id);
    EngineSession session = new EngineSession(this, B64.encodeToString(id), remote, Math.floorMod(nextSlice.getAndIncrement(), SLICES));
    sessions.put(session.sid, session);
    slices.get(session.slice).add(session);
    open.accept(session);
  }

  /** A polling POST: its body, at most maxPayload bytes; a larger one ends the session (413). */
  private void readBody(HttpServerRequest req, HttpServerResponse res, EngineSession session) {
    String length = req.getHeader("Content-Length");
    if (length != null && !length.isEmpty() && parseLength(length) > maxPayload) {
      tooLarge(res, session);
      return;
    }
    Buffer body = Buffer.buffer();
    boolean[] refused = {false};
    req.handler(chunk -> {
      if (refused[0]) return;
      if (body.length() + chunk.length() > maxPayload) {
        refused[0] = true;
        tooLarge(res, session);
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> {
      if (!refused[0]) session.post(body.toString(StandardCharsets.UTF_8), res);
    });
    req.exceptionHandler(e -> refused[0] = true);
    req.resume();
  }

  private static long parseLength(String length) {
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private void tooLarge(HttpServerResponse res, EngineSession session) {
    session.closeLater("payload too large");
    res.setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
      .end(new JsonObject().put("code", EngineIo.Error.BAD_REQUEST.code).put("message", "Payload too large").encode());
  }

  static void error(HttpServerResponse res, EngineIo.Error error) {
    if (res.ended() || res.headWritten()) return;
    res.setStatusCode(error.status()).putHeader("Content-Type", "application/json").end(error.json());
  }

  // ---- node-wide

  /** A session that ended. */
  void forget(EngineSession session) {
    sessions.remove(session.sid);
    slices.get(session.slice).remove(session);
  }

  /**
   * Sends the next slice's due pings and checkpoints and ends its sessions whose pong or upgrade is
   * overdue; runs {@link #SLICES} times per {@link #SWEEP_MS}.
   */
  void sweep() {
    sweptSlice = (sweptSlice + 1) % SLICES;
    long now = System.currentTimeMillis();
    for (EngineSession s : slices.get(sweptSlice)) {
      if (s.due(now)) s.onContext(() -> s.tick(System.currentTimeMillis()));
    }
  }

  public int connectionCount() {
    return sessions.size();
  }

  @Override
  public Future<Void> start() {
    return sweeper.start();
  }

  /** Stops accepting and closes every session, so that its client reconnects elsewhere. */
  @Override
  public Future<Void> stop() {
    sweeper.stop();
    draining = true;
    sessions.values().forEach(s -> s.closeLater(EngineSession.SHUTDOWN, "server shutting down; reconnect"));
    return Future.succeededFuture();
  }
}
