package io.ecb.support;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bridge client for tests that speaks what sockjs-client and the standard bridge client put on
 * the wire: SockJS over WebSocket ({@code /eventbus/<server>/<session>/websocket}, {@code o},
 * {@code a[...]}, {@code c[...]} frames) carrying bridge frames, with a ping every 5 s. With
 * {@code raw} it uses {@code /eventbus/websocket} and binary-or-text bridge frames instead.
 */
public final class BridgeClient {

  /** A failed reply or a refused register: the bridge's failureCode and the decoded error JSON. */
  public static final class Failure extends RuntimeException {
    public final int failureCode;
    public final JsonObject error;

    Failure(int failureCode, JsonObject error) {
      super(failureCode + " " + error, null, false, false);
      this.failureCode = failureCode;
      this.error = error;
    }

    public String code() {
      return error.getString("code");
    }
  }

  private final Vertx vertx;
  private final boolean raw;
  private WebSocketClient client;
  private WebSocket ws;
  private long pingTimer = -1;
  private final BridgeFrames frames = new BridgeFrames(this::send);
  public final Queue<JsonObject> errors = frames.errors;
  /** SockJS heartbeat frames received. */
  public final AtomicInteger heartbeats = new AtomicInteger();
  private final Promise<JsonObject> closed = Promise.promise();
  /** Guarded by this: while paused, a close waits for the frames read before it (see {@link #resume}). */
  private boolean paused;
  private JsonObject closedWhilePaused;
  private Context closeContext;

  private BridgeClient(Vertx vertx, boolean raw) {
    this.vertx = vertx;
    this.raw = raw;
  }

  public static Future<BridgeClient> connect(Vertx vertx, int port) {
    return new BridgeClient(vertx, false).open(port, null, null, Map.of());
  }

  public static Future<BridgeClient> connect(Vertx vertx, int port, boolean raw, String origin) {
    return new BridgeClient(vertx, raw).open(port, origin, null, Map.of());
  }

  /** A client whose connection comes from {@code localAddress} (another loopback address, e.g. 127.0.0.2). */
  public static Future<BridgeClient> connectFrom(Vertx vertx, int port, String localAddress) {
    return new BridgeClient(vertx, false).open(port, null, localAddress, Map.of());
  }

  /** As {@link #connectFrom(Vertx, int, String)}, with {@code headers} on the upgrade request (as a proxy adds them). */
  public static Future<BridgeClient> connectFrom(Vertx vertx, int port, String localAddress, Map<String, String> headers) {
    return new BridgeClient(vertx, false).open(port, null, localAddress, headers);
  }

  private Future<BridgeClient> open(int port, String origin, String localAddress, Map<String, String> headers) {
    // Large enough for a recovery reply with hundreds of missed messages. A fixed receive buffer:
    // left to autotune, loopback grows it to tcp_rmem's maximum (32 MiB here), so a paused client
    // would absorb more than a thread's whole history before the server saw it fall behind.
    client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(64 << 20).setMaxMessageSize(64 << 20)
      .setReceiveBufferSize(256 * 1024).setLocalAddress(localAddress));
    String uri = raw ? "/eventbus/websocket" : "/eventbus/123/" + UUID.randomUUID().toString().substring(0, 8) + "/websocket";
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
    if (origin != null) options.addHeader("Origin", origin);
    headers.forEach(options::addHeader);
    Promise<BridgeClient> opened = Promise.promise();
    // Handlers are in place before connecting: the server's first frame can arrive together with
    // the handshake, before a connect() callback would run.
    ClientWebSocket socket = client.webSocket();
    ws = socket;
    // Whole messages, not frames: a large reply arrives in several WebSocket fragments.
    socket.textMessageHandler(text -> onData(text, opened));
    socket.binaryMessageHandler(buffer -> onData(buffer.toString(), opened));
    socket.closeHandler(v -> {
      JsonObject close = new JsonObject().put("code", (int) (socket.closeStatusCode() == null ? 0 : socket.closeStatusCode()))
        .put("reason", socket.closeReason());
      // Vert.x reports the close as soon as the connection ends, even while frames read before it
      // wait in a paused socket's queue, the SockJS close frame with the server's code among them.
      synchronized (this) {
        if (paused) {
          closedWhilePaused = close;
          closeContext = Vertx.currentContext();
          return;
        }
      }
      closedWith(close);
    });
    return socket.connect(options).compose(connected -> {
      pingTimer = vertx.setPeriodic(5000, id -> send(new JsonObject().put("type", "ping")));
      if (raw) opened.tryComplete(this);
      return opened.future();
    });
  }

  private void onData(String text, Promise<BridgeClient> opened) {
    if (raw) {
      frames.onFrame(new JsonObject(text));
      return;
    }
    switch (text.charAt(0)) {
      case 'o' -> opened.tryComplete(this);
      case 'h' -> heartbeats.incrementAndGet();
      case 'a' -> new JsonArray(text.substring(1)).forEach(m -> frames.onFrame(new JsonObject((String) m)));
      case 'c' -> {
        JsonArray c = new JsonArray(text.substring(1));
        closed.tryComplete(new JsonObject().put("code", c.getInteger(0)).put("reason", c.getString(1)));
      }
      default -> throw new IllegalStateException("unexpected SockJS frame " + text);
    }
  }

  public void send(JsonObject frame) {
    String text = frame.encode();
    if (raw) ws.writeTextMessage(text);
    else ws.writeTextMessage(new JsonArray().add(text).encode());
  }

  /** Request/reply: fails with {@link Failure} when the bridge answers with an error. */
  public Future<JsonObject> request(String address, JsonObject headers, Object body) {
    return frames.request(address, headers, body);
  }

  /**
   * Registers, then makes a round trip (the bridge answers later frames only after a register is
   * in effect cluster-wide); fails with {@link Failure} when the bridge refuses the register.
   */
  public Future<Void> register(String address, JsonObject headers) {
    return frames.register(address, headers);
  }

  public void unregister(String address) {
    send(new JsonObject().put("type", "unregister").put("address", address));
  }

  /**
   * The next message for {@code address} (a full bridge frame; its payload is under {@code body}),
   * presence payloads apart: those come from {@link #nextPresence}.
   */
  public Future<JsonObject> next(String address) {
    return frames.next(address);
  }

  /** The next presence payload for {@code address} (a full bridge frame). */
  public Future<JsonObject> nextPresence(String address) {
    return frames.nextPresence(address);
  }

  public int pending(String address) {
    return frames.pending(address);
  }

  /** Completes with {code, reason} when the server closes the connection. */
  public Future<JsonObject> closed() {
    return closed.future();
  }

  /** Stops reading from the socket (a client that cannot keep up), or resumes. */
  public void pause() {
    synchronized (this) {
      paused = true;
    }
    ws.pause();
  }

  public void resume() {
    JsonObject close;
    Context context;
    synchronized (this) {
      paused = false;
      close = closedWhilePaused;
      context = closeContext;
    }
    ws.resume();
    // After the queued frames, which the socket's context delivers in order once resumed.
    if (close != null) context.runOnContext(v -> closedWith(close));
  }

  private void closedWith(JsonObject close) {
    closed.tryComplete(close);
    // A request the socket closed under fails at once, with why, rather than waiting out the test.
    frames.failReplies("socket closed: " + closed.future().result());
  }

  public void stopPinging() {
    vertx.cancelTimer(pingTimer);
  }

  public Future<Void> close() {
    vertx.cancelTimer(pingTimer);
    return ws.close().eventually(() -> client.close());
  }
}
