package io.ecb.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;

import java.util.Map;

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
 * <p>The channel and Vert.x's connection class are not public API: this and {@link UpgradedSockets}
 * are the places that reach into them. {@link #of} gives null when the connection is anything else; callers then
 * write through {@link ServerWebSocket}'s own methods.
 */
public final class WebSocketFrameWriter {

  private final ChannelHandlerContext from;
  /** Vert.x's own promise that ignores completion and reports no failure (the socket's close does). */
  private final ChannelPromise ignored;

  private WebSocketFrameWriter(ChannelHandlerContext from, ChannelPromise ignored) {
    this.from = from;
    this.ignored = ignored;
  }

  /**
   * The writer for the WebSocket upgraded from {@code http}: after the upgrade, the HTTP
   * connection's channel carries a frame encoder and a new Vert.x handler whose connection is the
   * WebSocket's. Null when there is none.
   */
  public static WebSocketFrameWriter of(HttpConnection http) {
    VertxConnection connection = webSocketConnection(http);
    if (connection == null) return null;
    ChannelHandlerContext from = entry(connection.channel().pipeline());
    return from == null ? null : new WebSocketFrameWriter(from, connection.voidPromise);
  }

  /**
   * Where complete frames enter {@code pipeline}: at the frame encoder or the idle-timeout handler,
   * whichever is nearer the socket. Writing from a handler's context passes the write only to the
   * handlers before it. On a node's upgraded connection the order is [TLS], idle timeout, frame
   * decoder, frame encoder, HTTP encoder, ..., Vert.x's handler (a plain Vert.x server puts the
   * idle timeout after the encoder). A write through the idle-timeout handler costs a promise and
   * a completion listener per socket: a tenth of the event loop's time in a 1,000-socket fan-out.
   * Null when the pipeline has no frame encoder.
   */
  static ChannelHandlerContext entry(ChannelPipeline pipeline) {
    ChannelHandler first = null;
    for (Map.Entry<String, ChannelHandler> e : pipeline) {
      if (e.getValue() instanceof IdleStateHandler && first == null) first = e.getValue();
      if (e.getValue() instanceof WebSocketFrameEncoder) return pipeline.context(first != null ? first : e.getValue());
    }
    return null;
  }

  /** A writer whose frames enter the pipeline at {@code from}, towards the socket. */
  static WebSocketFrameWriter at(ChannelHandlerContext from) {
    return new WebSocketFrameWriter(from, from.voidPromise());
  }

  /**
   * The Vert.x connection of the WebSocket upgraded from {@code http}: the one behind the channel's
   * Vert.x handler once the upgrade has replaced it. Null when {@code http} is not Vert.x's own.
   */
  static VertxConnection webSocketConnection(HttpConnection http) {
    if (!(http instanceof ConnectionBase base)) return null;
    VertxHandler<?> handler = base.channel().pipeline().get(VertxHandler.class);
    return handler == null ? null : handler.getConnection();
  }

  /**
   * Bytes of the replies written while the channel was writable, since it last was. One reply may
   * exceed the bound on its own (a getThread that recovers a long gap); the payloads that arrive
   * while the client reads it must not make it a slow consumer, so they are measured from the end
   * of those replies: they may pile up to the channel's low water mark beyond them (half the
   * bound, as {@code setWriteQueueMaxSize} sets it). A reply written past the bound gets no such
   * room: a client that keeps asking and never reads is still cut off.
   */
  private volatile long replyBytes;

  /** More is waiting unsent than the connection's bound ({@code setWriteQueueMaxSize}) allows, replies apart. */
  public boolean full() {
    Channel channel = from.channel();
    if (channel.isWritable()) {
      if (replyBytes != 0) replyBytes = 0; // no store on the per-socket path when there is nothing to reset
      return false;
    }
    return channel.isActive() && channel.bytesBeforeWritable() > replyBytes;
  }

  /** A reply frame: written as {@link #write(byte[])}, with the room described at {@link #full()}. */
  public void writeReply(byte[] frame) {
    if (from.channel().isWritable()) replyBytes += frame.length;
    write(frame);
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
