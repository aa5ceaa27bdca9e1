package io.ecb.socketio;

import io.ecb.socketio.EngineIo.Frame;
import io.ecb.transport.UpgradedSockets;
import io.ecb.transport.WebSocketFrameWriter;
import io.netty.buffer.ByteBuf;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;

/**
 * The WebSocket transport of an {@link EngineSession}: open from the start, or probing to take over
 * from polling (Engine.IO's upgrade) until the client sends {@code 5} or the probe times out.
 */
final class EngineWebSocket {

  final ServerWebSocket socket;
  /** Null when frames go through {@link ServerWebSocket}'s own methods. */
  private final WebSocketFrameWriter frames;
  /** While probing: when the upgrade is given up. */
  final long upgradeDeadline;
  /** While probing: the probe was answered, the client is pausing polling, so a GET gets a noop at once. */
  boolean probed;

  EngineWebSocket(ServerWebSocket socket, HttpConnection connection, long upgradeDeadline) {
    this.socket = socket;
    UpgradedSockets.trim(socket, connection);
    this.frames = WebSocketFrameWriter.of(connection);
    this.upgradeDeadline = upgradeDeadline;
  }

  /** Bounds what may wait unsent; past it, {@link #writeQueueFull}. */
  void bound(int bytes) {
    socket.setWriteQueueMaxSize(bytes);
  }

  /** More waits unsent than the bound; false once the socket is gone (its close handler runs). */
  boolean writeQueueFull() {
    if (frames != null) return frames.full();
    try {
      return socket.writeQueueFull();
    } catch (IllegalStateException closed) {
      return false;
    }
  }

  void write(Frame f) {
    if (frames != null) frames.write(f.bytes());
    else socket.writeTextMessage(f.packet());
  }

  /** A frame of this server's own (a reply, an ack, a connect): the payloads behind it keep their room. */
  void writeReply(Frame f) {
    if (frames != null) frames.writeReply(f.bytes());
    else socket.writeTextMessage(f.packet());
  }

  /** Whether frames go straight into the connection, so that {@link #write(ByteBuf)} may be used. */
  boolean direct() {
    return frames != null;
  }

  /** Several frames in one write; only when {@link #direct}. */
  void write(ByteBuf frames) {
    this.frames.write(frames);
  }

  void close() {
    socket.close();
  }

  void close(short code, String reason) {
    socket.close(code, reason);
  }
}
