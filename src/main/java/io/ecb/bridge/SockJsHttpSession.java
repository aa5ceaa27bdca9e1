package io.ecb.bridge;

import io.ecb.delivery.Delivery;
import io.ecb.transport.SockJsCodec;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;

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
  private SockJsReceiver receiver;
  /** The latest receiver, whose response may still be flushing after it ended. */
  private SockJsReceiver lastReceiver;
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
  void attach(SockJsReceiver r) {
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
  void receiverGone(SockJsReceiver r) {
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
    SockJsReceiver r = receiver;
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
    SockJsReceiver r = receiver;
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
    SockJsReceiver r = lastReceiver;
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
}
