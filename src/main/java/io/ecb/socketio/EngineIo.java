package io.ecb.socketio;

import io.ecb.transport.WebSocketFrames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Engine.IO protocol v4 (the transport under Socket.IO): packets are a type digit and a text
 * payload; HTTP long-polling carries several in one body separated by the record separator
 * {@code \x1e}; binary data travels base64 with a {@code b} prefix there, as binary frames on a
 * WebSocket.
 */
final class EngineIo {

  static final char OPEN = '0';
  static final char CLOSE = '1';
  static final char PING = '2';
  static final char PONG = '3';
  static final char MESSAGE = '4';
  static final char UPGRADE = '5';
  static final char NOOP = '6';
  /** Polling's binary packet prefix: {@code b<base64>}. */
  static final char BINARY = 'b';
  static final byte SEPARATOR = 0x1e;

  static final int PING_INTERVAL_MS = 25_000;
  static final int PING_TIMEOUT_MS = 20_000;

  static final Frame PING_PACKET = Frame.of(new byte[]{PING});
  static final Frame NOOP_PACKET = Frame.of(new byte[]{NOOP});
  static final Frame PONG_PROBE = Frame.of("3probe".getBytes(StandardCharsets.US_ASCII));

  /**
   * One outbound packet as the complete WebSocket text frame that carries it, header included; the
   * packet itself starts at {@code start} (what a polling response sends). Built once, the same
   * bytes serve every socket on either transport.
   */
  record Frame(byte[] bytes, int start) {
    static Frame of(byte[] packet) {
      byte[] f = WebSocketFrames.frame(WebSocketFrames.TEXT, packet, packet.length);
      return new Frame(f, f.length - packet.length);
    }

    int packetLength() {
      return bytes.length - start;
    }

    String packet() {
      return new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8);
    }
  }

  /** The errors of the reference server's HTTP answers, {@code {"code": n, "message": text}} with status 400 (403 for FORBIDDEN). */
  enum Error {
    UNKNOWN_TRANSPORT(0, "Transport unknown"),
    UNKNOWN_SID(1, "Session ID unknown"),
    BAD_HANDSHAKE_METHOD(2, "Bad handshake method"),
    BAD_REQUEST(3, "Bad request"),
    FORBIDDEN(4, "Forbidden"),
    UNSUPPORTED_PROTOCOL_VERSION(5, "Unsupported protocol version");

    final int code;
    final String message;

    Error(int code, String message) {
      this.code = code;
      this.message = message;
    }

    int status() {
      return this == FORBIDDEN ? 403 : 400;
    }

    String json() {
      return new JsonObject().put("code", code).put("message", message).encode();
    }
  }

  private EngineIo() {
  }

  /** The open packet: the session id, the upgrades offered, and the timing and size the client must keep to. */
  static Frame open(String sid, boolean upgradable, int maxPayload) {
    JsonObject o = new JsonObject()
      .put("sid", sid)
      .put("upgrades", upgradable ? new JsonArray().add("websocket") : new JsonArray())
      .put("pingInterval", PING_INTERVAL_MS)
      .put("pingTimeout", PING_TIMEOUT_MS)
      .put("maxPayload", maxPayload);
    return Frame.of((OPEN + o.encode()).getBytes(StandardCharsets.UTF_8));
  }

  /** A message packet: {@code 4} and the Socket.IO packet. */
  static Frame message(String socketIoPacket) {
    return Frame.of((MESSAGE + socketIoPacket).getBytes(StandardCharsets.UTF_8));
  }

  /** The packets of a polling request's body, in order; empty parts are kept (and refused by the session). */
  static List<String> decodePayload(String body) {
    List<String> packets = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < body.length(); i++) {
      if (body.charAt(i) == SEPARATOR) {
        packets.add(body.substring(start, i));
        start = i + 1;
      }
    }
    packets.add(body.substring(start));
    return packets;
  }

  /** A polling response's body: the packets joined by the record separator. */
  static Buffer encodePayload(List<Frame> packets) {
    int length = Math.max(0, packets.size() - 1);
    for (Frame p : packets) length += p.packetLength();
    Buffer b = Buffer.buffer(length);
    for (int i = 0; i < packets.size(); i++) {
      if (i > 0) b.appendByte(SEPARATOR);
      Frame p = packets.get(i);
      b.appendBytes(p.bytes(), p.start(), p.packetLength());
    }
    return b;
  }
}
