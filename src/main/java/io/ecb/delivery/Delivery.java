package io.ecb.delivery;

import io.ecb.transport.SockJsCodec;
import io.ecb.transport.WebSocketFrames;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * One payload on its way to the connections of this node that follow its stream. Each wire format
 * is encoded at most once per message, on first use, and the same bytes are written to every
 * connection that uses that format: this is what keeps fan-out cheap.
 */
public final class Delivery {

  private static final byte[] REC_PREFIX = "{\"type\":\"rec\",\"address\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BODY = "\",\"body\":".getBytes(StandardCharsets.US_ASCII);

  public final String stream;
  public final String address;
  /** The subscription payload, JSON. */
  public final Buffer payload;
  /** The stream offset, or 0 for payloads that are not stored (typing). */
  public final long offset;
  public final String epoch;

  private Buffer bridgeFrame;
  private String sockJsFrame;
  // Read once per socket: volatile rather than locked. Two threads may both build one on first
  // use; they build the same bytes.
  private volatile byte[] sockJsWebSocketFrame;
  private volatile byte[] bridgeWebSocketFrame;
  private volatile Object otherEncoding;

  public Delivery(String stream, String address, Buffer payload, long offset, String epoch) {
    this.stream = stream;
    this.address = address;
    this.payload = payload;
    this.offset = offset;
    this.epoch = epoch;
  }

  /** The standard bridge envelope {@code {"type":"rec","address":...,"body":...}}. */
  public synchronized Buffer bridgeFrame() {
    if (bridgeFrame == null) {
      Buffer b = Buffer.buffer(payload.length() + address.length() + 48);
      b.appendBytes(REC_PREFIX).appendString(address).appendBytes(BODY).appendBuffer(payload).appendByte((byte) '}');
      bridgeFrame = b;
    }
    return bridgeFrame;
  }

  /** The bridge envelope inside a SockJS message frame: {@code a["<escaped envelope>"]}. */
  public synchronized String sockJsFrame() {
    if (sockJsFrame == null) {
      sockJsFrame = SockJsCodec.messageFrame(bridgeFrame().toString(StandardCharsets.UTF_8));
    }
    return sockJsFrame;
  }

  /** {@link #sockJsFrame()} as a complete WebSocket text frame, header included. */
  public byte[] sockJsWebSocketFrame() {
    byte[] f = sockJsWebSocketFrame;
    if (f == null) {
      sockJsWebSocketFrame = f = SockJsCodec.messageWebSocketFrame(bridgeFrame());
    }
    return f;
  }

  /** {@link #bridgeFrame()} as a complete WebSocket binary frame (the raw bridge's format). */
  public byte[] bridgeWebSocketFrame() {
    byte[] f = bridgeWebSocketFrame;
    if (f == null) {
      byte[] bytes = bridgeFrame().getBytes();
      bridgeWebSocketFrame = f = WebSocketFrames.frame(WebSocketFrames.BINARY, bytes, bytes.length);
    }
    return f;
  }

  /**
   * The encoding of a transport that builds its own (Socket.IO's packet): made by {@code encode} on
   * first use and shared by every socket of that transport, like the encodings above. One slot:
   * only one such transport may use it.
   */
  @SuppressWarnings("unchecked")
  public <T> T encoded(Function<Delivery, T> encode) {
    Object e = otherEncoding;
    if (e == null) otherEncoding = e = encode.apply(this);
    return (T) e;
  }
}
