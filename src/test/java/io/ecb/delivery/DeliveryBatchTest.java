package io.ecb.delivery;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A batch's shared WebSocket frames decode, with Netty's own client-side decoder, to each payload's frame in order. */
class DeliveryBatchTest {

  @Test
  void aBatchIsEachDeliverysFrameInOrder() {
    List<Delivery> deliveries = List.of(
      new Delivery("s", "ecb.thread.t1", Buffer.buffer("{\"n\":1}"), 1, "e"),
      new Delivery("s", "ecb.thread.t1", Buffer.buffer("{\"text\":\"caf\u00e9 \\\"quoted\\\"\"}"), 2, "e"),
      new Delivery("s", "ecb.thread.t1", Buffer.buffer("{\"pad\":\"" + "x".repeat(300) + "\"}"), 3, "e"));
    DeliveryBatch batch = new DeliveryBatch(deliveries);
    EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(
      WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false).build()));

    // Each socket reads a view of its own: the shared buffer is left as it was, for the next socket.
    int length = batch.sockJsWebSocketFrames().readableBytes();
    client.writeInbound(batch.sockJsWebSocketFrames().retainedDuplicate());
    client.writeInbound(batch.bridgeWebSocketFrames().retainedDuplicate());
    for (Delivery d : deliveries) {
      TextWebSocketFrame text = client.readInbound();
      assertEquals(d.sockJsFrame(), text.text());
      text.release();
    }
    for (Delivery d : deliveries) {
      BinaryWebSocketFrame binary = client.readInbound();
      assertEquals(d.bridgeFrame(), Buffer.buffer(binary.content().toString(StandardCharsets.UTF_8)));
      binary.release();
    }
    assertNull(client.readInbound());
    assertEquals(0, batch.sockJsWebSocketFrames().readerIndex());
    assertEquals(length, batch.sockJsWebSocketFrames().readableBytes());
    assertEquals(1, batch.sockJsWebSocketFrames().refCnt(), "every view's reference given back");
    client.finishAndReleaseAll();
  }
}
