package io.ecb.bridge;

import io.ecb.transport.SockJsCodec;
import io.ecb.http.ClientAddress;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * SockJS's HTTP transports for the bridge, served here rather than by the stock SockJS handler:
 * xhr-streaming ({@code xhr_streaming}), xhr-polling ({@code xhr}), eventsource, htmlfile and
 * jsonp-polling ({@code jsonp}) under {@code /eventbus/<server>/<session>/}, with their send
 * endpoints {@code xhr_send} and {@code jsonp_send}, as the SockJS protocol defines them and
 * sockjs-client 1.6 uses them. Serving them here gives them what the WebSocket path has: a bound
 * in bytes on what waits for one client ({@code limits.outboundQueueBytes}, then closed with 4001),
 * the bridge's close codes in the close frame, the bridge's heartbeat, and sends limited by the
 * frame limit.
 *
 * <p>A session lives on the node that opened it, so every request of one session must reach that
 * node (sticky sessions behind a load balancer); the {@code JSESSIONID} cookie is set for balancers
 * that stick by cookie.
 */
final class SockJsHttpTransports {

  /**
   * How long a session waits for its client's next request, and how long a closed session keeps
   * answering with its close frame: the SockJS disconnect delay.
   */
  static final long SESSION_TIMEOUT_MS = 5_000;
  /**
   * A streaming response ends after this many bytes and the client opens the next one (SockJS's
   * response limit), so the browser does not keep one ever-growing response in memory.
   */
  static final int STREAMING_RESPONSE_LIMIT = 128 * 1024;
  /** What sockjs-client sends as a callback ({@code _jp.a1b2c3}); anything else could inject script. */
  private static final Pattern CALLBACK = Pattern.compile("[a-zA-Z0-9_.-]{1,32}");
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String NO_CACHE = "no-store, no-cache, no-transform, must-revalidate, max-age=0";

  /** A transport's receiving endpoint. */
  enum Kind {
    XHR_STREAMING(HttpMethod.POST, "xhr_streaming", true),
    XHR(HttpMethod.POST, "xhr", false),
    EVENTSOURCE(HttpMethod.GET, "eventsource", true),
    HTMLFILE(HttpMethod.GET, "htmlfile", true),
    JSONP(HttpMethod.GET, "jsonp", false);

    final HttpMethod method;
    final String path;
    /** Streaming responses stay open for many frames; polling ones carry one frame and end. */
    final boolean streaming;

    Kind(HttpMethod method, String path, boolean streaming) {
      this.method = method;
      this.path = path;
      this.streaming = streaming;
    }
  }

  final BridgeServer server;
  final int maxQueuedBytes;
  private final int sendLimit;
  final Map<String, SockJsHttpSession> sessions = new ConcurrentHashMap<>();

  SockJsHttpTransports(BridgeServer server, int maxQueuedBytes) {
    this.server = server;
    this.maxQueuedBytes = maxQueuedBytes;
    // One frame's allowance, as on the WebSocket path: SockJS's JSON escaping can grow a frame up
    // to six times, and the bridge checks the decoded size against the frame limit.
    this.sendLimit = server.maxFrameBytes * 6 + 64;
  }

  /** Adds the routes; call before the stock SockJS handler's, which serves {@code /info} and the rest. */
  void mount(Router router) {
    String base = "/eventbus/:server/:session/";
    for (Kind kind : Kind.values()) {
      router.route(kind.method, base + kind.path).handler(ctx -> receive(ctx, kind));
    }
    router.post(base + "xhr_send").handler(BodyHandler.create(false).setBodyLimit(sendLimit))
      .handler(ctx -> send(ctx, false));
    // Form encoding triples a byte at most. The form is decoded here, from the raw body: the HTTP
    // server's form decoder refuses fields over 8 KiB, so the body handler must not see a form.
    router.post(base + "jsonp_send").handler(ctx -> {
      String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
      if (type != null && type.toLowerCase().startsWith(FORM)) {
        ctx.put(FORM, true);
        ctx.request().headers().set(HttpHeaders.CONTENT_TYPE, "text/plain; charset=UTF-8");
      }
      ctx.next();
    });
    router.post(base + "jsonp_send").handler(BodyHandler.create(false).setBodyLimit(sendLimit * 3L))
      .handler(ctx -> send(ctx, true));
    for (String path : List.of("xhr", "xhr_streaming", "xhr_send")) {
      router.options(base + path).handler(SockJsHttpTransports::preflight);
    }
  }

  /** The session id, or null (and a 404 sent) when the path is not a SockJS session path. */
  private static String sessionId(RoutingContext ctx) {
    String serverId = ctx.pathParam("server");
    String sessionId = ctx.pathParam("session");
    // As in the SockJS protocol: neither part may be empty or contain a dot.
    if (serverId.isEmpty() || sessionId.isEmpty() || serverId.contains(".") || sessionId.contains(".")) {
      ctx.response().setStatusCode(404).end();
      return null;
    }
    return sessionId;
  }

  private void receive(RoutingContext ctx, Kind kind) {
    String id = sessionId(ctx);
    if (id == null) return;
    String callback = null;
    if (kind == Kind.HTMLFILE || kind == Kind.JSONP) {
      callback = ctx.request().getParam("c");
      if (callback == null) callback = ctx.request().getParam("callback");
      if (callback == null || !CALLBACK.matcher(callback).matches()) {
        text(ctx.response().setStatusCode(400)).end(callback == null ? "\"callback\" parameter required\n" : "invalid \"callback\" parameter\n");
        return;
      }
    }
    SockJsHttpSession session = sessions.get(id);
    if (session == null) {
      if (server.draining()) {
        text(ctx.response().setStatusCode(503)).end("server shutting down");
        return;
      }
      Context context = Vertx.currentContext();
      SockJsHttpSession created = new SockJsHttpSession(this, id, context);
      session = sessions.putIfAbsent(id, created);
      if (session == null) {
        session = created;
        created.open(ClientAddress.of(ctx));
      }
    }
    SockJsReceiver receiver = new SockJsReceiver(kind, ctx, callback);
    headers(ctx);
    SockJsHttpSession s = session;
    // Registered here, on the response's own event loop, before anything can close it unseen.
    ctx.response().closeHandler(v -> {
      receiver.gone = true;
      s.onContext(() -> s.receiverGone(receiver));
    });
    s.onContext(() -> s.attach(receiver));
  }

  private void send(RoutingContext ctx, boolean jsonp) {
    String id = sessionId(ctx);
    if (id == null) return;
    HttpServerResponse response = ctx.response();
    SockJsHttpSession session = sessions.get(id);
    if (session == null || session.isClosed()) {
      jsessionId(ctx);
      response.setStatusCode(404).end();
      return;
    }
    List<String> messages;
    try {
      String payload = payload(ctx, jsonp);
      if (payload == null || payload.isEmpty()) {
        text(response.setStatusCode(400)).end("Payload expected.");
        return;
      }
      messages = SockJsCodec.decode(payload);
    } catch (IllegalArgumentException e) {
      messages = null; // malformed form encoding
    }
    if (messages == null) {
      text(response.setStatusCode(400)).end("Broken JSON encoding.");
      return;
    }
    List<String> frames = messages;
    session.onContext(() -> session.received(frames));
    headers(ctx);
    text(response);
    if (jsonp) response.end("ok");
    else response.setStatusCode(204).end();
  }

  /**
   * The messages as sent: the raw body, or for jsonp_send its form field {@code d}; null when there
   * is none. Throws IllegalArgumentException for malformed form encoding.
   */
  private static String payload(RoutingContext ctx, boolean jsonp) {
    RequestBody body = ctx.body();
    if (!body.available() || body.length() == 0) return null;
    String text = body.asString(StandardCharsets.UTF_8.name());
    if (!jsonp || ctx.get(FORM) == null) return text;
    for (String field : text.split("&")) {
      if (field.startsWith("d=")) {
        return URLDecoder.decode(field.substring(2), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** CORS preflight for the XHR endpoints; the origin rule has already passed. */
  private static void preflight(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    response.putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=31536000")
      .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "OPTIONS, POST")
      .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "31536000");
    cors(ctx);
    jsessionId(ctx);
    response.setStatusCode(204).end();
  }

  /** What every transport response carries: no caching, CORS for allowed origins, the session cookie. */
  private static void headers(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, NO_CACHE);
    cors(ctx);
    jsessionId(ctx);
  }

  private static void cors(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin == null ? "*" : origin);
    response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS, origin == null ? "false" : "true");
    String requested = request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS);
    if (requested != null) response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, requested);
  }

  /** The client's own JSESSIONID, or a placeholder: load balancers that stick by cookie need one. */
  private static void jsessionId(RoutingContext ctx) {
    String cookie = "JSESSIONID=dummy; path=/";
    String sent = ctx.request().getHeader(HttpHeaders.COOKIE);
    if (sent != null) {
      for (String part : sent.split(";")) {
        String p = part.trim();
        if (p.startsWith("JSESSIONID=")) cookie = p + "; path=/";
      }
    }
    ctx.response().putHeader(HttpHeaders.SET_COOKIE, cookie);
  }

  private static HttpServerResponse text(HttpServerResponse response) {
    return response.putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=UTF-8");
  }
}
