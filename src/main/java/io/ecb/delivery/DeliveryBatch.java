package io.ecb.delivery;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The payloads of one stream that reach the followers on one event loop together, in stream order:
 * one, or several when they arrived faster than the loop could write them out. Each connection gets
 * the whole batch in one write, so under load a socket costs one system call for several messages
 * rather than one each, which is what lets fan-out keep up as the rate climbs.
 *
 * <p>The batch's WebSocket frames, one after another, are built once into direct memory that every
 * socket's write shares through a view of its own: the transport would otherwise copy heap bytes
 * into direct memory once per socket, and a view with a native address is written without any
 * further object. The memory belongs to a JDK buffer, freed when the last view of it is collected,
 * so a write that is dropped (a connection closing with writes still queued) cannot leak it, and
 * the shared buffer's reference count never has to reach zero.
 *
 * <p>A batch is built and written on the one event loop that owns its followers, so its frames are
 * built lazily without a lock.
 */
public final class DeliveryBatch {

  private final Delivery[] deliveries;
  private ByteBuf sockJsWebSocketFrames;
  private ByteBuf bridgeWebSocketFrames;
  private ByteBuf otherWebSocketFrames;

  public DeliveryBatch(List<Delivery> deliveries) {
    this.deliveries = deliveries.toArray(new Delivery[0]);
  }

  public List<Delivery> deliveries() {
    return Arrays.asList(deliveries);
  }

  public int size() {
    return deliveries.length;
  }

  /**
   * Each payload's {@link Delivery#sockJsWebSocketFrame()}, in order. The buffer is shared: read it
   * through a view of its own ({@code retainedDuplicate()}), never by moving its indexes.
   */
  public ByteBuf sockJsWebSocketFrames() {
    if (sockJsWebSocketFrames == null) sockJsWebSocketFrames = concat(Delivery::sockJsWebSocketFrame);
    return sockJsWebSocketFrames;
  }

  /** Each payload's {@link Delivery#bridgeWebSocketFrame()}, in order; shared like {@link #sockJsWebSocketFrames()}. */
  public ByteBuf bridgeWebSocketFrames() {
    if (bridgeWebSocketFrames == null) bridgeWebSocketFrames = concat(Delivery::bridgeWebSocketFrame);
    return bridgeWebSocketFrames;
  }

  /**
   * The WebSocket frames of the transport that uses {@link Delivery#encoded} (one transport only),
   * {@code frame} giving each payload's; built once and shared like {@link #sockJsWebSocketFrames()}.
   */
  public ByteBuf otherWebSocketFrames(Function<Delivery, byte[]> frame) {
    if (otherWebSocketFrames == null) otherWebSocketFrames = concat(frame);
    return otherWebSocketFrames;
  }

  private ByteBuf concat(Function<Delivery, byte[]> frame) {
    int length = 0;
    for (Delivery d : deliveries) length += frame.apply(d).length;
    ByteBuffer b = ByteBuffer.allocateDirect(length);
    for (Delivery d : deliveries) b.put(frame.apply(d));
    return Unpooled.wrappedBuffer(b.flip());
  }
}
