package io.ecb.bridge;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One receiving request of a {@link SockJsHttpSession} (xhr, xhr_streaming, eventsource,
 * htmlfile, jsonp) and its response: the transport's framing of each SockJS frame. Its state is the
 * session's; the response itself is only touched on its own event loop, as Vert.x expects of a
 * response, with each write handed over in order.
 */
final class SockJsReceiver {

  private static final String XHR_STREAMING_PRELUDE = "h".repeat(2048) + "\n";
  private static final String HTMLFILE_PRELUDE = """
    <!doctype html>
    <html><head>
      <meta http-equiv="X-UA-Compatible" content="IE=edge" />
      <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    </head><body><h2>Don't panic!</h2>
      <script>
        try { document.domain = document.domain; } catch (e) {}
        var c = parent.{{ callback }};
        c.start();
        function p(d) {c.message(d);};
        window.onload = function() {c.stop();};
      </script>""";

  final SockJsHttpTransports.Kind kind;
  private final HttpServerResponse response;
  private final HttpConnection connection;
  /** The response's event loop. */
  private final Context context;
  private final String callback;
  private final boolean chunked;
  /** The connection closed; set on the response's event loop. */
  volatile boolean gone;
  private boolean started;
  boolean finished;
  private int bytesSent;
  /** This response's share of the session's unflushed bytes. */
  final AtomicLong unflushed = new AtomicLong();

  /** Created on the request's event loop. */
  SockJsReceiver(SockJsHttpTransports.Kind kind, RoutingContext ctx, String callback) {
    this.kind = kind;
    this.response = ctx.response();
    this.connection = ctx.request().connection();
    this.context = Vertx.currentContext();
    this.callback = callback;
    this.chunked = ctx.request().version() != HttpVersion.HTTP_1_0;
  }

  private void onResponseContext(Runnable action) {
    if (Vertx.currentContext() == context) action.run();
    else context.runOnContext(v -> action.run());
  }

  /** The response's head, and for streaming transports their prelude, sent at once. */
  void start(AtomicLong sessionUnflushed) {
    if (started) return;
    started = true;
    String type = switch (kind) {
      case XHR, XHR_STREAMING, JSONP -> "application/javascript; charset=UTF-8";
      case EVENTSOURCE -> "text/event-stream";
      case HTMLFILE -> "text/html; charset=UTF-8";
    };
    boolean streaming = kind.streaming;
    onResponseContext(() -> {
      response.putHeader(HttpHeaders.CONTENT_TYPE, type);
      if (kind == SockJsHttpTransports.Kind.JSONP) response.putHeader("X-Content-Type-Options", "nosniff");
      if (streaming && chunked) response.setChunked(true);
    });
    if (!streaming) return;
    String prelude = switch (kind) {
      case XHR_STREAMING -> XHR_STREAMING_PRELUDE;
      case EVENTSOURCE -> "\r\n";
      default -> htmlfilePrelude(callback);
    };
    write(Buffer.buffer(prelude), false, sessionUnflushed);
  }

  private static String htmlfilePrelude(String callback) {
    StringBuilder sb = new StringBuilder(HTMLFILE_PRELUDE.replace("{{ callback }}", callback));
    // Padded to 1 KiB, so that browsers start running the page before it ends.
    while (sb.length() < 1024) sb.append(' ');
    return sb.append("\r\n").toString();
  }

  /** Writes one SockJS frame; a poll, or a stream past its response limit, then ends. */
  void frame(String frame, AtomicLong sessionUnflushed) {
    Buffer b = Buffer.buffer(wrap(frame));
    boolean end = !kind.streaming || bytesSent + b.length() >= SockJsHttpTransports.STREAMING_RESPONSE_LIMIT;
    write(b, end, sessionUnflushed);
  }

  /** Writes the last frame (a close frame) and ends. */
  void last(String frame, AtomicLong sessionUnflushed) {
    if (finished || gone) return;
    start(sessionUnflushed);
    write(Buffer.buffer(wrap(frame)), true, sessionUnflushed);
  }

  /** Counted as unflushed from now until the kernel took it (or the connection failed). */
  private void write(Buffer b, boolean end, AtomicLong sessionUnflushed) {
    int n = b.length();
    bytesSent += n;
    unflushed.addAndGet(n);
    sessionUnflushed.addAndGet(n);
    if (end) finished = true;
    onResponseContext(() -> {
      Future<Void> written;
      try {
        written = end ? response.end(b) : response.write(b);
      } catch (IllegalStateException e) {
        written = Future.failedFuture(e); // already ended: the connection went away first
      }
      written.onComplete(ar -> {
        unflushed.addAndGet(-n);
        sessionUnflushed.addAndGet(-n);
      });
    });
  }

  /** Drops the connection and whatever it still holds for the client. */
  void closeConnection() {
    onResponseContext(connection::close);
  }

  private String wrap(String frame) {
    return switch (kind) {
      case XHR, XHR_STREAMING -> frame + "\n";
      case EVENTSOURCE -> "data: " + frame + "\r\n\r\n";
      case HTMLFILE -> "<script>\np(\"" + javaScriptString(frame) + "\");\n</script>\r\n";
      // The comment in front keeps the response from being read as anything but script.
      case JSONP -> "/**/" + callback + "(\"" + javaScriptString(frame) + "\");\r\n";
    };
  }

  /**
   * The frame as the inside of a JavaScript string literal in a script element: quotes and
   * backslashes escaped, and {@code <} too, so that no {@code </script>} can end the element.
   */
  static String javaScriptString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '<' -> sb.append("\\u003c");
        default -> {
          if (c < 0x20 || c >= 0x7f) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.toString();
  }
}
