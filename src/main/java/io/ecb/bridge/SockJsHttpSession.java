package io.ecb.bridge;

import io.ecb.delivery.Delivery;
import io.ecb.transport.SockJsCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bridge session over one of SockJS's HTTP transports ({@link SockJsHttpTransports}). Frames go
 * to the receiver the client has open (a streaming response, or a pending poll) and wait here while
 * it has none, until its next request.
 *
 * <p>The bound: what waits here plus what was written to a response and not yet taken by the
 * kernel must stay under {@code limits.outboundQueueBytes}, as on the WebSocket path. A frame that
 * finds it full (a client that stopped reading its stream, or stopped polling while deliveries
 * arrive) closes the session as a slow consumer (4001) and drops what was queued; a reply may take
 * the queue past the bound on its own, but not pile onto a full one. Everything here is ASCII
 * (SockJS escapes the rest), so characters count as bytes.
 *
 * <p>All state is confined to the event loop of the request that opened the session, where the
 * {@link BridgeConnection} handles its frames; requests that arrive on other event loops hand over to
 * it, and writes are handed over to each response's own event loop. Only the count of unflushed
 * bytes is shared: write completions arrive on the responses' event loops.
 */
final class SockJsHttpSession implements BridgeTransport {

  private static final String ANOTHER_CONNECTION = SockJsCodec.closeFrame(2010, "Another connection still open");

  private final SockJsHttpTransports transports;
  final String id;
  final Context context;
  private BridgeConnection bridge;
  /** The client's open receiving request, if any. */
  private Receiver receiver;
  /** The latest receiver, whose response may still be flushing after it ended. */
  private Receiver lastReceiver;
  /** Message frames ({@code a[...]}) waiting for a receiver. */
  private final ArrayDeque<String> pending = new ArrayDeque<>();
  /** Written on the session's event loop only; volatile for {@link #queuedBytes()}. */
  private volatile long pendingBytes;
  /** Bytes written to responses and not yet taken by the kernel. */
  private final AtomicLong unflushed = new AtomicLong();
  private boolean opened;
  private boolean slow;
  /** Once closed: what a receiver that comes later gets. */
  private String closeFrame;
  private volatile boolean closed;
  private long timer = -1;
  /** Something was written since the last heartbeat check (see {@link WebSocketTransport#heartbeat()}). */
  private volatile boolean wrote;
  /** Heartbeat checks in a row that found nothing written (only the heartbeat timer touches it). */
  private int idleChecks;

  SockJsHttpSession(SockJsHttpTransports transports, String id, Context context) {
    this.transports = transports;
    this.id = id;
    this.context = context;
  }

  /**
   * Starts the bridge session of the client at {@code remote}; on {@link #context}, right after
   * this session was published.
   */
  void open(SocketAddress remote) {
    BridgeServer server = transports.server;
    bridge = new BridgeConnection(server, remote, s -> this);
    server.connections.add(bridge);
  }

  boolean isClosed() {
    return closed;
  }

  BridgeConnection bridge() {
    return bridge;
  }

  /** What waits for the client and what its responses have not flushed yet. */
  long queuedBytes() {
    return pendingBytes + unflushed.get();
  }

  /** Runs {@code task} on the session's event loop, now if already there. */
  void onContext(Runnable task) {
    if (Vertx.currentContext() == context) task.run();
    else context.runOnContext(v -> task.run());
  }

  /** A receiving request: it gets the open frame, then what waits, or the close frame. */
  void attach(Receiver r) {
    if (r.gone) return;
    if (closeFrame != null) {
      r.last(closeFrame, unflushed);
      return;
    }
    if (receiver != null) {
      r.last(ANOTHER_CONNECTION, unflushed);
      return;
    }
    cancelTimer();
    receiver = r;
    lastReceiver = r;
    r.start(unflushed);
    if (!opened) {
      opened = true;
      emit(SockJsCodec.OPEN);
    }
    if (receiver == r && !pending.isEmpty()) emit(drainPending());
  }

  /** The connection of a receiving request closed: if it was the open one, the client went away. */
  void receiverGone(Receiver r) {
    if (receiver != r) return;
    receiver = null;
    end();
  }

  /** Bridge frames the client sent (xhr_send, jsonp_send). */
  void received(List<String> frames) {
    for (String frame : frames) bridge.onFrame(frame);
  }

  @Override
  public void write(Buffer frame) {
    if (accepting()) send(SockJsCodec.messageFrame(frame.toString(StandardCharsets.UTF_8)));
  }

  @Override
  public void deliver(Delivery delivery) {
    if (accepting()) send(delivery.sockJsFrame());
  }

  /** Whether a frame may be queued now; a full queue closes the session as a slow consumer. */
  private boolean accepting() {
    if (closed || slow) return false;
    if (pendingBytes + unflushed.get() >= transports.maxQueuedBytes) {
      slow = true;
      transports.server.slowConsumers.increment();
      bridge.closeLater(CloseReason.SLOW_CONSUMER);
      return false;
    }
    return true;
  }

  private void send(String frame) {
    if (receiver != null) {
      emit(frame);
    } else {
      pending.add(frame);
      pendingBytes += frame.length();
    }
  }

  /** Writes a frame to the open receiver; a receiver that is done with it (a poll) is let go. */
  private void emit(String frame) {
    if (!wrote) wrote = true;
    Receiver r = receiver;
    r.frame(frame, unflushed);
    if (r.finished) {
      receiver = null;
      armTimer();
    }
  }

  /** All waiting messages as one frame: {@code a[m1,m2,...]} from {@code a[m1]}, {@code a[m2]}, ... */
  private String drainPending() {
    String frame;
    if (pending.size() == 1) {
      frame = pending.poll();
    } else {
      StringBuilder sb = new StringBuilder((int) pendingBytes).append("a[");
      for (String f : pending) {
        if (sb.length() > 2) sb.append(',');
        sb.append(f, 2, f.length() - 1);
      }
      frame = sb.append(']').toString();
      pending.clear();
    }
    pendingBytes = 0;
    return frame;
  }

  /**
   * Called twice per heartbeat interval, from the heartbeat timer: SockJS {@code h} to the open
   * receiver on the second check in a row that finds nothing written, which also answers a poll
   * before proxies and idle timeouts give up on it.
   */
  @Override
  public void heartbeat() {
    if (closed) return;
    if (wrote) {
      wrote = false;
      idleChecks = 0;
    } else if (++idleChecks == 2) {
      idleChecks = 0;
      context.runOnContext(v -> {
        if (receiver != null && !closed) emit(SockJsCodec.HEARTBEAT);
      });
    }
  }

  /**
   * Closes with the bridge's code and reason: the open receiver gets the close frame now, a later
   * one for {@link SockJsHttpTransports#SESSION_TIMEOUT_MS}; what waited is dropped at once.
   */
  @Override
  public void close(int code, String reason) {
    if (closeFrame != null) return;
    closeFrame = SockJsCodec.closeFrame(code, reason);
    closed = true;
    pending.clear();
    pendingBytes = 0;
    cancelTimer();
    Receiver r = receiver;
    receiver = null;
    if (r != null) r.last(closeFrame, unflushed);
    timer = context.owner().setTimer(SockJsHttpTransports.SESSION_TIMEOUT_MS, t -> {
      timer = -1;
      forget();
    });
  }

  /** No receiver for the session timeout, or the open one's connection closed: the client is gone. */
  private void end() {
    if (closed) return;
    closed = true;
    closeFrame = SockJsCodec.closeFrame(CloseReason.NORMAL.code, CloseReason.NORMAL.reason);
    pending.clear();
    pendingBytes = 0;
    cancelTimer();
    bridge.closed();
    forget();
  }

  /**
   * Leaves the map, and closes the last response's connection if it still holds bytes the client
   * never read: a client that stopped reading would otherwise pin them until its connection closes.
   */
  private void forget() {
    transports.sessions.remove(id, this);
    Receiver r = lastReceiver;
    lastReceiver = null;
    if (r != null && r.unflushed.get() > 0) r.closeConnection();
  }

  /** While no receiver is open: the client has the session timeout to come back. */
  private void armTimer() {
    cancelTimer();
    timer = context.owner().setTimer(SockJsHttpTransports.SESSION_TIMEOUT_MS, t -> {
      timer = -1;
      if (receiver == null) end();
    });
  }

  private void cancelTimer() {
    if (timer != -1) {
      context.owner().cancelTimer(timer);
      timer = -1;
    }
  }

  /**
   * One receiving request and its response. Its state is the session's; the response itself is
   * only touched on its own event loop, as Vert.x expects of a response, with each write handed
   * over in order.
   */
  static final class Receiver {

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
    Receiver(SockJsHttpTransports.Kind kind, RoutingContext ctx, String callback) {
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
}
