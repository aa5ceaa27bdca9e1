package io.ecb.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;

/**
 * Writes complete WebSocket frames ({@link WebSocketFrames}, built once per payload) straight into
 * a server WebSocket's channel, without the text encoding, the frame encoder and a completion
 * future per socket.
 *
 * <p>A write enters the pipeline below Vert.x's connection, the idle-timeout handler and the frame
 * encoder, so only TLS (when there is any) and the socket are left; every write through
 * {@link ServerWebSocket} reaches the same outbound buffer synchronously on the event loop, so the
 * order of the two kinds is kept. Skipping the idle-timeout handler on writes is safe because every
 * transport that writes this way closes a connection whose client stays silent (pings are reads).
 * Per socket and payload this leaves one small buffer object and the system call.
 *
 * <p>The channel and Vert.x's connection class are not public API: this is the one place that
 * reaches into them. {@link #of} gives null when the connection is anything else; callers then
 * write through {@link ServerWebSocket}'s own methods.
 */
public final class WebSocketFrameWriter {

  private final Channel channel;
  private final ChannelHandlerContext from;
  /** Vert.x's own promise that ignores completion and reports no failure (the socket's close does). */
  private final ChannelPromise ignored;

  private WebSocketFrameWriter(Channel channel, ChannelHandlerContext from, ChannelPromise ignored) {
    this.channel = channel;
    this.from = from;
    this.ignored = ignored;
  }

  /**
   * The writer for the WebSocket upgraded from {@code http}: after the upgrade, the HTTP
   * connection's channel carries a frame encoder and a new Vert.x handler whose connection is the
   * WebSocket's. Null when there is none.
   */
  public static WebSocketFrameWriter of(HttpConnection http) {
    if (!(http instanceof ConnectionBase base)) return null;
    ChannelPipeline pipeline = base.channel().pipeline();
    VertxHandler<?> handler = pipeline.get(VertxHandler.class);
    VertxConnection connection = handler == null ? null : handler.getConnection();
    if (connection == null) return null;
    // After the upgrade: [TLS], frame decoder, frame encoder, idle timeout, Vert.x's handler.
    // Writing from a handler's context passes the write only to the handlers before it.
    ChannelHandlerContext from = pipeline.context(WebSocketFrameEncoder.class);
    return from == null ? null : new WebSocketFrameWriter(base.channel(), from, connection.voidPromise);
  }

  /** The socket is gone: nothing written now would arrive. */
  public boolean closed() {
    return !channel.isActive();
  }

  /** More is waiting unsent than the connection's bound ({@code setWriteQueueMaxSize}) allows. */
  public boolean full() {
    return !channel.isWritable() && channel.isActive();
  }

  /** One frame; a fresh wrapper per socket (its own indexes) over shared bytes. */
  public void write(byte[] frame) {
    from.writeAndFlush(Unpooled.wrappedBuffer(frame), ignored);
  }

  /**
   * Frames one after another from {@code shared}, which every socket's write reads through a view
   * of its own; each view holds a reference that the channel gives back once written or dropped.
   */
  public void write(ByteBuf shared) {
    from.writeAndFlush(shared.retainedDuplicate(), ignored);
  }
}
