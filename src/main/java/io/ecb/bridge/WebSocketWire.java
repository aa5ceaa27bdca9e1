package io.ecb.bridge;

import io.ecb.delivery.Delivery;
import io.ecb.delivery.SockJsFraming;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bridge session over a WebSocket: SockJS-framed (what sockjs-client and the standard bridge
 * client use) or raw ({@code /eventbus/websocket}, bridge frames as binary messages like the stock
 * bridge). The outbound queue is bounded in bytes: a client that lets more than the limit pile up
 * unsent is disconnected as a slow consumer rather than allowed to grow the heap.
 */
final class WebSocketWire implements Wire {

  private final ServerWebSocket ws;
  private final boolean sockJs;
  private final long maxQueuedBytes;
  private final Runnable onSlow;
  private final AtomicLong queued = new AtomicLong();
  private volatile boolean closed;

  WebSocketWire(ServerWebSocket ws, boolean sockJs, long maxQueuedBytes, Runnable onSlow) {
    this.ws = ws;
    this.sockJs = sockJs;
    this.maxQueuedBytes = maxQueuedBytes;
    this.onSlow = onSlow;
    if (sockJs) ws.writeTextMessage(SockJsFraming.OPEN);
  }

  /**
   * Replies are always written: the client asked for each one, so they cannot pile up faster than
   * it sends requests, and one large reply (a getThread with many missed messages) may exceed the
   * bound on its own. They still count towards the queue that stream deliveries must fit in.
   */
  @Override
  public void write(Buffer frame) {
    if (sockJs) {
      text(SockJsFraming.messageFrame(frame.toString(StandardCharsets.UTF_8)), true);
    } else {
      binary(frame, true);
    }
  }

  @Override
  public void deliver(Delivery delivery) {
    if (sockJs) text(delivery.sockJsFrame(), false);
    else binary(delivery.bridgeFrame(), false);
  }

  @Override
  public void heartbeat() {
    if (sockJs && !closed) ws.writeTextMessage(SockJsFraming.HEARTBEAT);
  }

  private void text(String frame, boolean always) {
    // Frames are ASCII (SockJS escapes the rest), so length is the byte count.
    if (admit(frame.length(), always)) track(ws.writeTextMessage(frame), frame.length());
  }

  private void binary(Buffer frame, boolean always) {
    if (admit(frame.length(), always)) track(ws.writeBinaryMessage(frame), frame.length());
  }

  private boolean admit(int bytes, boolean always) {
    if (closed) return false;
    if (queued.addAndGet(bytes) > maxQueuedBytes && !always) {
      queued.addAndGet(-bytes);
      onSlow.run();
      return false;
    }
    return true;
  }

  private void track(Future<Void> written, int bytes) {
    written.onComplete(ar -> queued.addAndGet(-bytes));
  }

  @Override
  public void close(int code, String reason) {
    if (closed) return;
    closed = true;
    if (sockJs) {
      ws.writeTextMessage(SockJsFraming.closeFrame(code, reason)).eventually(() -> ws.close());
    } else {
      ws.close((short) code, reason);
    }
  }
}
