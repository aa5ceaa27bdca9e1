package io.ecb.bridge;

import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.ecb.transport.SockJsCodec;
import io.ecb.transport.UpgradedSockets;
import io.ecb.transport.WebSocketFrameWriter;
import io.ecb.http.ConnectionGuard;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;

import java.nio.charset.StandardCharsets;

/**
 * A bridge session over a WebSocket: SockJS-framed (what sockjs-client and the standard bridge
 * client use) or raw ({@code /eventbus/websocket}, bridge frames as binary messages like the stock
 * bridge). The outbound queue is bounded in bytes: a client that lets more than the limit pile up
 * unsent is disconnected as a slow consumer rather than allowed to grow the heap.
 *
 * <p>Stream payloads are the hot path: one message goes to every subscribed socket. Each is written
 * as the complete WebSocket frame its {@link Delivery} built once (several payloads that arrived
 * together as one {@link DeliveryBatch} of frames, in one write), straight into the connection's
 * outbound queue through {@link WebSocketFrameWriter}, which spares every socket the text encoding,
 * the frame encoder and a completion future; without one, frames go through
 * {@link ServerWebSocket}'s own methods.
 */
final class WebSocketTransport implements BridgeTransport {

  /** How long a closing socket may go without progress before it is dropped (see {@link ConnectionGuard#dropAfter}). */
  static final long CLOSE_GRACE_MS = 10_000;

  private final ServerWebSocket ws;
  private final HttpConnection http;
  private final WebSocketFrameWriter frames;
  private final boolean sockJs;
  private final Runnable onSlow;
  private volatile boolean closed;
  /** Found to be a slow consumer; its close is on its way. */
  private volatile boolean slow;
  /** Something was written since the last heartbeat check: a busy connection needs no heartbeat. */
  private volatile boolean wrote;
  /** Heartbeat checks in a row that found nothing written (only the heartbeat timer touches it). */
  private int idleChecks;

  WebSocketTransport(ServerWebSocket ws, HttpConnection connection, boolean sockJs, int maxQueuedBytes, Runnable onSlow) {
    this.ws = ws;
    this.http = connection;
    UpgradedSockets.trim(ws, connection);
    this.frames = WebSocketFrameWriter.of(connection);
    this.sockJs = sockJs;
    this.onSlow = onSlow;
    // The bound: past this many bytes written and not yet taken by the kernel, writeQueueFull().
    ws.setWriteQueueMaxSize(maxQueuedBytes);
  }

  @Override
  public void open() {
    if (sockJs) ws.writeTextMessage(SockJsCodec.OPEN);
  }

  /** Whether frames go straight into the WebSocket's connection rather than through {@link ServerWebSocket}. */
  boolean fastPath() {
    return frames != null;
  }

  /**
   * A reply is written even when it takes the queue past the bound (one large getThread with many
   * missed messages may exceed it on its own), but not when the queue is already full: a client
   * that keeps sending requests and never reads is a slow consumer like any other, as on SockJS's
   * HTTP transports and Socket.IO. Over the direct writer, the payloads that arrive while such a
   * reply is read are bounded beyond it, so reading a long recovery does not get a client cut off.
   */
  @Override
  public void write(Buffer frame) {
    if (!accepting()) return;
    if (!sockJs) {
      ws.writeBinaryMessage(frame);
    } else if (frames != null) {
      // Framed straight from the UTF-8 bytes, like stream payloads.
      frames.writeReply(SockJsCodec.messageWebSocketFrame(frame));
    } else {
      ws.writeTextMessage(SockJsCodec.messageFrame(frame.toString(StandardCharsets.UTF_8)));
    }
  }

  @Override
  public void deliver(Delivery delivery) {
    if (!accepting()) return;
    if (frames != null) {
      frames.write(sockJs ? delivery.sockJsWebSocketFrame() : delivery.bridgeWebSocketFrame());
    } else if (sockJs) {
      ws.writeTextMessage(delivery.sockJsFrame());
    } else {
      ws.writeBinaryMessage(delivery.bridgeFrame());
    }
  }

  @Override
  public void deliver(DeliveryBatch batch) {
    if (frames == null) {
      BridgeTransport.super.deliver(batch);
      return;
    }
    if (!accepting()) return;
    frames.write(sockJs ? batch.sockJsWebSocketFrames() : batch.bridgeWebSocketFrames());
  }

  /** Whether a stream payload may be written now; a full queue closes the connection as a slow consumer. */
  private boolean accepting() {
    if (closed || slow) return false;
    if (frames != null ? frames.full() : ws.writeQueueFull()) {
      // Once: the close runs later, and writes that arrive meanwhile must not count it again.
      slow = true;
      onSlow.run();
      return false;
    }
    markWritten();
    return true;
  }

  /** Read before written: the hot path stores to the field only on a connection's first write after a check. */
  private void markWritten() {
    if (!wrote) wrote = true;
  }

  /**
   * Called twice per heartbeat interval: SockJS {@code h} on the second check in a row that finds
   * nothing written, so the silence never reaches the interval and an idle connection gets one
   * heartbeat per interval.
   */
  @Override
  public void heartbeat() {
    if (!sockJs || closed) return;
    if (wrote) {
      wrote = false;
      idleChecks = 0;
    } else if (++idleChecks == 2) {
      idleChecks = 0;
      ws.writeTextMessage(SockJsCodec.HEARTBEAT);
    }
  }

  @Override
  public void close(int code, String reason) {
    if (closed) return;
    closed = true;
    if (sockJs) {
      ws.writeTextMessage(SockJsCodec.closeFrame(code, reason)).eventually(() -> ws.close());
    } else {
      ws.close((short) code, reason);
    }
    ConnectionGuard.dropAfter(http, CLOSE_GRACE_MS);
  }
}
