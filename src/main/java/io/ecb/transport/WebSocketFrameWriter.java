package io.ecb.transport;

import io.netty.buffer.Unpooled;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;

import java.nio.ByteBuffer;

/**
 * Writes complete WebSocket frames ({@link WebSocketFrames}, built once per payload) straight into
 * a server WebSocket's connection: the same outbound queue {@link ServerWebSocket} writes into, so
 * order is kept, without the text encoding, the frame encoder and a completion future per socket.
 *
 * <p>That queue is Vert.x's connection class, not public API: this is the one place that reaches
 * into it. {@link #of} gives null when the connection is anything else; callers then write through
 * {@link ServerWebSocket}'s own methods.
 */
public final class WebSocketFrameWriter {

  private final VertxConnection connection;

  private WebSocketFrameWriter(VertxConnection connection) {
    this.connection = connection;
  }

  /**
   * The writer for the WebSocket upgraded from {@code http}: after the upgrade, the HTTP
   * connection's channel carries a new Vert.x handler whose connection is the WebSocket's. Null
   * when there is none.
   */
  public static WebSocketFrameWriter of(HttpConnection http) {
    if (!(http instanceof ConnectionBase base)) return null;
    VertxHandler<?> handler = base.channel().pipeline().get(VertxHandler.class);
    return handler == null || handler.getConnection() == null ? null : new WebSocketFrameWriter(handler.getConnection());
  }

  /** One frame; a fresh wrapper per socket (its own indexes and reference count) over shared bytes. */
  public void write(byte[] frame) {
    connection.writeToChannel(Unpooled.wrappedBuffer(frame));
  }

  /** Frames one after another, from shared memory read through a view of its own, without a copy. */
  public void write(ByteBuffer frames) {
    connection.writeToChannel(Unpooled.wrappedBuffer(frames));
  }
}
