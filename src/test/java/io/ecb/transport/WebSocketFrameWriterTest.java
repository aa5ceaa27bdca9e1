package io.ecb.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slow-consumer bound of {@link WebSocketFrameWriter#full()} with a reply larger than the
 * bound: a client reading a long recovery is not a slow consumer because of the payloads that
 * arrive while it reads, and one that lets the payloads pile past the bound beyond the reply is.
 * The socket is a channel whose writes stay unsent (counted against its water marks) until the
 * test lets them go.
 */
class WebSocketFrameWriterTest {

  /** The bound: past 1,024 unsent bytes the channel is not writable, and writable again under 512. */
  private static final WriteBufferWaterMark BOUND = new WriteBufferWaterMark(512, 1024);

  /** Holds every write, counted as unsent, until {@link #release}. */
  private static final class UnreadSocket extends ChannelDuplexHandler {
    private PendingWriteQueue unsent;
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
      unsent = new PendingWriteQueue(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      unsent.add(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
    }

    void release() {
      unsent.removeAndWriteAll();
      ctx.flush();
    }
  }

  private EmbeddedChannel channel;
  private UnreadSocket socket;
  private WebSocketFrameWriter frames;

  @BeforeEach
  void channel() {
    socket = new UnreadSocket();
    channel = new EmbeddedChannel();
    channel.config().setWriteBufferWaterMark(BOUND);
    // Frames enter below the writer's own handler, as after the frame encoder in a WebSocket's pipeline.
    channel.pipeline().addLast(socket, new ChannelDuplexHandler());
    frames = WebSocketFrameWriter.at(channel.pipeline().lastContext());
  }

  private static byte[] bytes(int n) {
    return new byte[n];
  }

  /** Beyond a reply, payloads may pile up to the low mark (Vert.x's setWriteQueueMaxSize puts it at half the bound). */
  @Test
  void payloadsBehindALongReplyGetRoomBeyondIt() {
    frames.writeReply(bytes(8 * 1024));
    assertThat(channel.isWritable()).isFalse();
    assertThat(frames.full()).as("only the reply is unsent").isFalse();
    // Each unsent write also counts a few dozen bytes of bookkeeping.
    frames.write(bytes(300));
    assertThat(frames.full()).as("300 bytes behind the reply").isFalse();
    frames.write(bytes(400));
    assertThat(frames.full()).as("700 bytes behind the reply").isTrue();
  }

  @Test
  void aReplyWrittenPastTheBoundGetsNoRoom() {
    frames.write(Unpooled.wrappedBuffer(bytes(2 * 1024)));
    assertThat(frames.full()).isTrue();
    frames.writeReply(bytes(8 * 1024));
    assertThat(frames.full()).as("a client that keeps asking and never reads").isTrue();
  }

  @Test
  void theRoomLastsUntilTheClientHasReadThem() {
    frames.writeReply(bytes(8 * 1024));
    frames.write(bytes(600));
    socket.release();
    assertThat(channel.isWritable()).isTrue();
    assertThat(frames.full()).isFalse();
    // Read: a new pile of payloads is measured from nothing.
    frames.write(bytes(2 * 1024));
    assertThat(frames.full()).isTrue();
  }

  /**
   * Frames enter at the frame encoder or the idle-timeout handler, whichever is nearer the socket,
   * so that no write passes the idle-timeout handler (a promise and a listener per socket). An ECB
   * node's upgraded pipeline has it first ([idle, wsdecoder, wsencoder, httpEncoder, ...]); a plain
   * Vert.x server's has it after the encoder.
   */
  @Test
  void framesEnterBelowTheIdleTimeoutHandlerWhereverItSits() {
    for (boolean idleFirst : new boolean[] {true, false}) {
      AtomicInteger probed = new AtomicInteger();
      ChannelOutboundHandlerAdapter probe = new ChannelOutboundHandlerAdapter() {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
          probed.incrementAndGet();
          super.write(ctx, msg, promise);
        }
      };
      EmbeddedChannel ws = new EmbeddedChannel();
      if (idleFirst) ws.pipeline().addLast(new IdleStateHandler(0, 0, 60), probe, new WebSocket08FrameEncoder(false));
      else ws.pipeline().addLast(new WebSocket08FrameEncoder(false), new IdleStateHandler(0, 0, 60), probe);
      ChannelHandlerContext entry = WebSocketFrameWriter.entry(ws.pipeline());
      assertThat(entry.handler()).isInstanceOf(idleFirst ? IdleStateHandler.class : WebSocket08FrameEncoder.class);

      WebSocketFrameWriter.at(entry).write(new byte[] {1, 2, 3});
      ByteBuf written = ws.readOutbound();
      assertThat(written.readableBytes()).isEqualTo(3);
      written.release();
      assertThat(probed).as("writes past the idle-timeout handler, idle first: %s", idleFirst).hasValue(0);
      ws.finishAndReleaseAll();
    }
    assertThat(WebSocketFrameWriter.entry(new EmbeddedChannel(new IdleStateHandler(0, 0, 60)).pipeline()))
      .as("no frame encoder").isNull();
  }
}
