package io.ecb.transport;

/**
 * Complete WebSocket frames (RFC 6455 section 5.2) as a server sends them: final, unmasked, no
 * extension bits. A server frame does not depend on the connection it goes to, so one payload's
 * frame is built once and the same bytes are written to every socket. An uncompressed frame is
 * valid on a connection that negotiated permessage-deflate too (RSV1 clear means not compressed).
 */
public final class WebSocketFrames {

  private static final byte FIN = (byte) 0x80;
  public static final byte TEXT = 0x1;
  public static final byte BINARY = 0x2;

  private WebSocketFrames() {
  }

  /** The frame carrying {@code payload} whole, with opcode {@link #TEXT} or {@link #BINARY}. */
  public static byte[] frame(byte opcode, byte[] payload, int length) {
    byte[] f = allocate(opcode, length);
    System.arraycopy(payload, 0, f, headerLength(length), length);
    return f;
  }

  /** The bytes of a frame whose payload is {@code length} bytes long, header written, payload to fill. */
  public static byte[] allocate(byte opcode, int length) {
    byte[] f = new byte[headerLength(length) + length];
    f[0] = (byte) (FIN | opcode);
    if (length < 126) {
      f[1] = (byte) length;
    } else if (length <= 0xFFFF) {
      f[1] = 126;
      f[2] = (byte) (length >>> 8);
      f[3] = (byte) length;
    } else {
      f[1] = 127;
      long l = length;
      for (int i = 0; i < 8; i++) f[2 + i] = (byte) (l >>> (56 - 8 * i));
    }
    return f;
  }

  /** Where the payload starts in a frame of a {@code length}-byte payload. */
  public static int headerLength(int length) {
    return length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
  }
}
