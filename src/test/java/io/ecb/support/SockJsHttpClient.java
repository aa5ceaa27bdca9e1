package io.ecb.support;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bridge client for tests over one of SockJS's HTTP transports, speaking the SockJS protocol the
 * way sockjs-client does: a receiving request ({@code xhr_streaming}, {@code xhr}, {@code eventsource},
 * {@code htmlfile}, {@code jsonp}) opened again whenever the server ends one, the transport's
 * framing unwrapped ({@code o}, {@code h}, {@code a[...]}, {@code c[code,reason]}), and bridge
 * frames sent in order, one {@code xhr_send} (or form-encoded {@code jsonp_send}) at a time with
 * whatever queued up meanwhile batched into the next.
 */
public final class SockJsHttpClient {

  /** The transports, by the name sockjs-client gives them. */
  public enum Transport {
    XHR_STREAMING("xhr_streaming", HttpMethod.POST),
    XHR_POLLING("xhr", HttpMethod.POST),
    EVENTSOURCE("eventsource", HttpMethod.GET),
    HTMLFILE("htmlfile", HttpMethod.GET),
    JSONP_POLLING("jsonp", HttpMethod.GET);

    public final String path;
    final HttpMethod method;

    Transport(String path, HttpMethod method) {
      this.path = path;
      this.method = method;
    }
  }

  /** The callback sockjs-client would pass to htmlfile and jsonp. */
  public static final String CALLBACK = "_jp.abcdef";

  private final Vertx vertx;
  /**
   * Where every request is made and every response handled: a response handled on another thread
   * than its connection's can end before its body is asked for, and the body never completes.
   */
  private final Context context;
  private final Transport transport;
  private final HttpClient http;
  private final int port;
  /** {@code /eventbus/<server>/<session>}. */
  public final String sessionPath;
  private long pingTimer = -1;
  private final BridgeFrames frames = new BridgeFrames(this::send);
  public final Queue<JsonObject> errors = frames.errors;
  /** SockJS heartbeat frames received. */
  public final AtomicInteger heartbeats = new AtomicInteger();
  /** Receiving requests made so far. */
  public final AtomicInteger receivers = new AtomicInteger();
  private final Promise<SockJsHttpClient> opened = Promise.promise();
  private final Promise<JsonObject> closed = Promise.promise();
  private final List<String> sendBuffer = new ArrayList<>();
  private boolean sending;
  private boolean paused;
  private boolean receiving;
  private HttpClientResponse current;

  private SockJsHttpClient(Vertx vertx, int port, Transport transport) {
    this.vertx = vertx;
    this.port = port;
    this.transport = transport;
    this.sessionPath = "/eventbus/000/" + UUID.randomUUID().toString().substring(0, 8);
    this.context = vertx.getOrCreateContext();
    // A fixed, small receive buffer, so that a paused client stops taking bytes soon (see BridgeClient).
    this.http = vertx.createHttpClient(new HttpClientOptions().setReceiveBufferSize(256 * 1024),
      new PoolOptions().setHttp1MaxSize(4));
  }

  /** Opens a session and completes once the server sent its open frame; pings every 5 s. */
  public static Future<SockJsHttpClient> connect(Vertx vertx, int port, Transport transport) {
    return connect(vertx, port, transport, 5000);
  }

  /** As {@link #connect(Vertx, int, Transport)}, pinging every {@code pingMs} (none when 0). */
  public static Future<SockJsHttpClient> connect(Vertx vertx, int port, Transport transport, long pingMs) {
    SockJsHttpClient c = new SockJsHttpClient(vertx, port, transport);
    c.context.runOnContext(v -> c.receive());
    return c.opened.future().onSuccess(x -> {
      if (pingMs > 0) c.pingTimer = vertx.setPeriodic(pingMs, id -> c.send(new JsonObject().put("type", "ping")));
    });
  }

  private synchronized void receive() {
    if (paused || receiving || closed.future().isComplete()) return;
    receiving = true;
    receivers.incrementAndGet();
    String uri = sessionPath + "/" + transport.path
      + (transport == Transport.HTMLFILE || transport == Transport.JSONP_POLLING ? "?c=" + CALLBACK : "");
    http.request(new RequestOptions().setMethod(transport.method).setHost("127.0.0.1").setPort(port).setURI(uri))
      .compose(req -> req.send())
      .onSuccess(this::receiving)
      .onFailure(e -> lost("receiving request failed: " + e));
  }

  private synchronized void receiving(HttpClientResponse response) {
    if (response.statusCode() != 200) {
      lost("receiving request answered " + response.statusCode());
      return;
    }
    current = response;
    if (paused) response.pause();
    StringBuilder text = new StringBuilder();
    response.handler(chunk -> {
      text.append(chunk.toString(StandardCharsets.UTF_8));
      unwrap(text);
    });
    response.exceptionHandler(e -> lost("receiving response failed: " + e));
    response.endHandler(v -> {
      unwrap(text);
      synchronized (this) {
        current = null;
        receiving = false;
      }
      // As sockjs-client does: a response that ended normally is followed by the next one.
      receive();
    });
  }

  /** Takes every complete frame out of what the receiving response delivered so far. */
  private void unwrap(StringBuilder text) {
    switch (transport) {
      case XHR_STREAMING, XHR_POLLING -> {
        for (int i; (i = text.indexOf("\n")) >= 0; ) {
          String line = text.substring(0, i);
          text.delete(0, i + 1);
          // xhr_streaming's prelude is a line of 2048 'h's.
          if (!line.isEmpty() && !(line.length() > 1 && line.chars().allMatch(ch -> ch == 'h'))) onSockJsFrame(line);
        }
      }
      case EVENTSOURCE -> {
        for (int i; (i = text.indexOf("\r\n\r\n")) >= 0; ) {
          String event = text.substring(0, i).strip();
          text.delete(0, i + 4);
          if (!event.startsWith("data: ")) throw new IllegalStateException("unexpected event " + event);
          onSockJsFrame(event.substring(6));
        }
      }
      case HTMLFILE, JSONP_POLLING -> {
        // Each frame is a JavaScript string between these; escaped, it holds neither.
        String start = transport == Transport.HTMLFILE ? "<script>\np(\"" : "/**/" + CALLBACK + "(\"";
        String end = transport == Transport.HTMLFILE ? "\");\n</script>\r\n" : "\");\r\n";
        for (int i, j; (i = text.indexOf(start)) >= 0 && (j = text.indexOf(end, i)) >= 0; ) {
          onSockJsFrame((String) Json.decodeValue("\"" + text.substring(i + start.length(), j) + "\""));
          text.delete(0, j + end.length());
        }
      }
    }
  }

  private void onSockJsFrame(String frame) {
    switch (frame.charAt(0)) {
      case 'o' -> {
        // A second open frame: the node no longer knew the session and opened a new one.
        if (!opened.tryComplete(this)) lost("Server lost session");
      }
      case 'h' -> heartbeats.incrementAndGet();
      case 'a' -> new JsonArray(frame.substring(1)).forEach(m -> frames.onFrame(new JsonObject((String) m)));
      case 'c' -> {
        JsonArray c = new JsonArray(frame.substring(1));
        closed(new JsonObject().put("code", c.getInteger(0)).put("reason", c.getString(1)));
      }
      default -> throw new IllegalStateException("unexpected SockJS frame " + frame);
    }
  }

  /** The connection failed without a close frame: what sockjs-client reports as 1006. */
  private void lost(String why) {
    closed(new JsonObject().put("code", 1006).put("reason", why));
  }

  private void closed(JsonObject codeAndReason) {
    vertx.cancelTimer(pingTimer);
    opened.tryFail("closed before open: " + codeAndReason);
    closed.tryComplete(codeAndReason);
    frames.failReplies("session closed: " + codeAndReason);
  }

  /** Sends a bridge frame; frames queued while a send is in flight go together in the next. */
  public synchronized void send(JsonObject frame) {
    sendBuffer.add(frame.encode());
    if (!sending) {
      sending = true;
      context.runOnContext(v -> flush());
    }
  }

  private synchronized void flush() {
    if (sendBuffer.isEmpty()) {
      sending = false;
      return;
    }
    sending = true;
    List<String> batch = new ArrayList<>(sendBuffer);
    sendBuffer.clear();
    post(batch).onComplete(ar -> {
      if (ar.failed() || ar.result().statusCode >= 300) {
        lost("sending failed: " + (ar.failed() ? ar.cause() : ar.result().statusCode + " " + ar.result().body));
      }
      flush();
    });
  }

  /** A status and body. */
  public record Response(int statusCode, String body) {
  }

  /** POSTs messages to the transport's send endpoint, as sockjs-client would: a JSON array of strings. */
  public Future<Response> post(List<String> messages) {
    JsonArray array = new JsonArray();
    messages.forEach(array::add);
    return post(array.encode());
  }

  /** POSTs a raw payload to the transport's send endpoint ({@code d=} form field for jsonp). */
  public Future<Response> post(String payload) {
    boolean jsonp = transport == Transport.JSONP_POLLING;
    return post(jsonp ? "jsonp_send" : "xhr_send",
      jsonp ? "application/x-www-form-urlencoded" : "text/plain;charset=UTF-8",
      jsonp ? "d=" + URLEncoder.encode(payload, StandardCharsets.UTF_8) : payload);
  }

  /** POSTs {@code body} to {@code <session path>/<endpoint>}. */
  public Future<Response> post(String endpoint, String contentType, String body) {
    Promise<Response> p = Promise.promise();
    context.runOnContext(v -> doPost(endpoint, contentType, body).onComplete(p));
    return p.future();
  }

  private Future<Response> doPost(String endpoint, String contentType, String body) {
    return http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(sessionPath + "/" + endpoint).putHeader("Content-Type", contentType))
      .compose(req -> req.send(Buffer.buffer(body)))
      .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), b.toString(StandardCharsets.UTF_8))));
  }

  /** Request/reply: fails with {@link BridgeClient.Failure} when the bridge answers with an error. */
  public Future<JsonObject> request(String address, JsonObject headers, Object body) {
    return frames.request(address, headers, body);
  }

  /** Registers, then makes a round trip; fails with {@link BridgeClient.Failure} when the bridge refuses. */
  public Future<Void> register(String address, JsonObject headers) {
    return frames.register(address, headers);
  }

  /** The next message for {@code address} (a full bridge frame; its payload is under {@code body}). */
  public Future<JsonObject> next(String address) {
    return frames.next(address);
  }

  /** Completes with {code, reason} when the server closes the session (1006: the connection failed). */
  public Future<JsonObject> closed() {
    return closed.future();
  }

  /**
   * Stops receiving: a streaming response is no longer read, and no new poll is made (one already
   * waiting still gets its answer).
   */
  public synchronized void pause() {
    paused = true;
    if (current != null) current.pause();
  }

  public synchronized void resume() {
    paused = false;
    if (current != null) current.resume();
    else context.runOnContext(v -> receive());
  }

  public void stopPinging() {
    vertx.cancelTimer(pingTimer);
  }

  public Future<Void> close() {
    vertx.cancelTimer(pingTimer);
    closed.tryComplete(new JsonObject().put("code", 1000).put("reason", "closed by the client"));
    return http.close();
  }
}
