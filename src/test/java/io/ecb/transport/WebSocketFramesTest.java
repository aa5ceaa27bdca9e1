package io.ecb.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

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

  // Escapes, control characters, DEL, two-, three- and four-byte UTF-8, and lengths whose escaped
  // frame crosses the 7-bit and 16-bit length headers.
  @ParameterizedTest
  @ValueSource(strings = {"", "plain", "{\"q\":\"a \\\"b\\\" c\\\\d\"}", "tab\tnl\ncr\r nul\u0000 bell\u0007 del\u007f",
    "caf\u00e9 \u20ac \u4e2d\u6587 \ud83d\ude00 end", "x", "\u00e9", "\ud83d\ude00"})
  void sockJsFramesFromBytesMatchFramesFromText(String text) {
    for (int repeat : new int[] {1, 20, 121, 122, 10_000}) {
      String message = text.repeat(repeat);
      byte[] frame = SockJsCodec.messageWebSocketFrame(Buffer.buffer(message));
      EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(
        WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
      client.writeInbound(Unpooled.wrappedBuffer(frame));
      TextWebSocketFrame decoded = client.readInbound();
      assertEquals(SockJsCodec.messageFrame(message), decoded.text());
      decoded.release();
      client.finishAndReleaseAll();
    }
  }

  @Test
  void bytesThatAreNotUtf8AreFramedAsReplacementCharacters() {
    byte[] frame = SockJsCodec.messageWebSocketFrame(Buffer.buffer(new byte[] {'a', (byte) 0xC0, (byte) 0xE2, (byte) 0x82, 'b', (byte) 0xFF}));
    String text = new String(frame, WebSocketFrames.headerLength(frame.length - 2), frame.length - 2, StandardCharsets.US_ASCII);
    assertEquals("a[\"a\\ufffd\\ufffd\\ufffdb\\ufffd\"]", text);
  }
}
