package io.ecb.support;

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

import java.util.ArrayDeque;
import java.util.HashMap;
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
  private final Map<String, Promise<JsonObject>> replies = new HashMap<>();
  private final Map<String, Queue<JsonObject>> received = new HashMap<>();
  private final Map<String, Queue<Promise<JsonObject>>> waiting = new HashMap<>();
  public final Queue<JsonObject> errors = new ArrayDeque<>();
  /** SockJS heartbeat frames received. */
  public final AtomicInteger heartbeats = new AtomicInteger();
  private final Promise<JsonObject> closed = Promise.promise();

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
    socket.closeHandler(v -> closed.tryComplete(new JsonObject().put("code", (int) (socket.closeStatusCode() == null ? 0 : socket.closeStatusCode()))
      .put("reason", socket.closeReason())));
    return socket.connect(options).compose(connected -> {
      pingTimer = vertx.setPeriodic(5000, id -> send(new JsonObject().put("type", "ping")));
      if (raw) opened.tryComplete(this);
      return opened.future();
    });
  }

  private void onData(String text, Promise<BridgeClient> opened) {
    if (raw) {
      onFrame(new JsonObject(text));
      return;
    }
    switch (text.charAt(0)) {
      case 'o' -> opened.tryComplete(this);
      case 'h' -> heartbeats.incrementAndGet();
      case 'a' -> new JsonArray(text.substring(1)).forEach(m -> onFrame(new JsonObject((String) m)));
      case 'c' -> {
        JsonArray c = new JsonArray(text.substring(1));
        closed.tryComplete(new JsonObject().put("code", c.getInteger(0)).put("reason", c.getString(1)));
      }
      default -> throw new IllegalStateException("unexpected SockJS frame " + text);
    }
  }

  private synchronized void onFrame(JsonObject frame) {
    String address = frame.getString("address");
    Promise<JsonObject> reply = address == null ? null : replies.remove(address);
    if (reply != null) {
      if ("err".equals(frame.getString("type"))) reply.fail(failure(frame));
      else reply.complete(frame.getJsonObject("body"));
      return;
    }
    if ("err".equals(frame.getString("type"))) {
      errors.add(frame);
    }
    if (address == null) return;
    Queue<Promise<JsonObject>> w = waiting.get(address);
    if (w != null && !w.isEmpty()) w.poll().complete(frame);
    else received.computeIfAbsent(address, a -> new ArrayDeque<>()).add(frame);
  }

  private static Failure failure(JsonObject frame) {
    return new Failure(frame.getInteger("failureCode", 0), new JsonObject(frame.getString("message")));
  }

  public void send(JsonObject frame) {
    String text = frame.encode();
    if (raw) ws.writeTextMessage(text);
    else ws.writeTextMessage(new JsonArray().add(text).encode());
  }

  /** Request/reply: fails with {@link Failure} when the bridge answers with an error. */
  public synchronized Future<JsonObject> request(String address, JsonObject headers, Object body) {
    String replyAddress = UUID.randomUUID().toString();
    Promise<JsonObject> p = Promise.promise();
    replies.put(replyAddress, p);
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("replyAddress", replyAddress).put("body", body);
    if (headers != null) frame.put("headers", headers);
    send(frame);
    return p.future();
  }

  /**
   * Registers, then makes a round trip (the bridge answers later frames only after a register is
   * in effect cluster-wide); fails with {@link Failure} when the bridge refuses the register.
   */
  public Future<Void> register(String address, JsonObject headers) {
    JsonObject frame = new JsonObject().put("type", "register").put("address", address);
    if (headers != null) frame.put("headers", headers);
    send(frame);
    return request("ecb.nothing", null, new JsonObject()).transform(ar -> registerOutcome(address));
  }

  private synchronized Future<Void> registerOutcome(String address) {
    {
      // The barrier request itself is refused; what counts is an error for `address`, if any.
      Queue<JsonObject> got = received.get(address);
      if (got != null) {
        for (JsonObject f : got) {
          if ("err".equals(f.getString("type"))) {
            got.remove(f);
            errors.remove(f);
            return Future.failedFuture(failure(f));
          }
        }
      }
      return Future.succeededFuture();
    }
  }

  public void unregister(String address) {
    send(new JsonObject().put("type", "unregister").put("address", address));
  }

  /** The next message for {@code address} (a full bridge frame; its payload is under {@code body}). */
  public synchronized Future<JsonObject> next(String address) {
    Queue<JsonObject> q = received.get(address);
    if (q != null && !q.isEmpty()) return Future.succeededFuture(q.poll());
    Promise<JsonObject> p = Promise.promise();
    waiting.computeIfAbsent(address, a -> new ArrayDeque<>()).add(p);
    return p.future();
  }

  public synchronized int pending(String address) {
    Queue<JsonObject> q = received.get(address);
    return q == null ? 0 : q.size();
  }

  /** Completes with {code, reason} when the server closes the connection. */
  public Future<JsonObject> closed() {
    return closed.future();
  }

  /** Stops reading from the socket (a client that cannot keep up), or resumes. */
  public void pause() {
    ws.pause();
  }

  public void resume() {
    ws.resume();
  }

  public void stopPinging() {
    vertx.cancelTimer(pingTimer);
  }

  public Future<Void> close() {
    vertx.cancelTimer(pingTimer);
    return ws.close().eventually(() -> client.close());
  }
}
