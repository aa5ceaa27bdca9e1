package io.ecb.delivery;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pre-built server frames decode, with Netty's own client-side decoder, to what was framed. */
class WebSocketFramesTest {

  // Lengths around each header size: 7-bit, 16-bit and 64-bit lengths.
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 125, 126, 127, 65535, 65536, 200_000})
  void framesDecodeToTheirPayload(int length) {
    byte[] payload = new byte[length];
    Arrays.fill(payload, (byte) 'x');
    EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(
      WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));

    client.writeInbound(Unpooled.wrappedBuffer(WebSocketFrames.frame(WebSocketFrames.TEXT, payload, length)));
    TextWebSocketFrame text = client.readInbound();
    assertTrue(text.isFinalFragment());
    assertEquals(new String(payload, StandardCharsets.US_ASCII), text.text());
    text.release();

    client.writeInbound(Unpooled.wrappedBuffer(WebSocketFrames.frame(WebSocketFrames.BINARY, payload, length)));
    BinaryWebSocketFrame binary = client.readInbound();
    ByteBuf content = binary.content();
    byte[] got = new byte[content.readableBytes()];
    content.readBytes(got);
    assertArrayEquals(payload, got);
    binary.release();
    client.finishAndReleaseAll();
  }
}
