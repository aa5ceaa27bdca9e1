package io.ecb.socketio;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A Socket.IO protocol v5 packet, in its text form
 * {@code <type>[<attachments>-][<namespace>,][<ackId>][<JSON data>]}; the namespace is omitted
 * when it is {@code /}.
 *
 * @param type        {@link #CONNECT} .. {@link #BINARY_ACK}
 * @param nsp         the namespace, {@code /} by default
 * @param ackId       the acknowledgement id, or -1
 * @param data        the decoded JSON data (object, array, string, ...), or null when absent
 * @param attachments for binary packets, how many binary attachments follow
 */
record SocketIoPacket(int type, String nsp, long ackId, Object data, int attachments) {

  static final int CONNECT = 0;
  static final int DISCONNECT = 1;
  static final int EVENT = 2;
  static final int ACK = 3;
  static final int CONNECT_ERROR = 4;
  static final int BINARY_EVENT = 5;
  static final int BINARY_ACK = 6;

  /** Ids past this are refused: the reference client counts from 0 and never gets near it. */
  private static final long MAX_ACK_ID = (1L << 53) - 1;

  /** A packet that is not valid Socket.IO v5. */
  static final class MalformedPacketException extends RuntimeException {
    MalformedPacketException(String message) {
      super(message, null, false, false);
    }
  }

  static SocketIoPacket event(String nsp, JsonArray args) {
    return new SocketIoPacket(EVENT, nsp, -1, args, 0);
  }

  static SocketIoPacket ack(String nsp, long ackId, JsonArray args) {
    return new SocketIoPacket(ACK, nsp, ackId, args, 0);
  }

  static SocketIoPacket connect(String nsp, JsonObject data) {
    return new SocketIoPacket(CONNECT, nsp, -1, data, 0);
  }

  static SocketIoPacket connectError(String nsp, JsonObject data) {
    return new SocketIoPacket(CONNECT_ERROR, nsp, -1, data, 0);
  }

  static SocketIoPacket disconnect(String nsp) {
    return new SocketIoPacket(DISCONNECT, nsp, -1, null, 0);
  }

  /** The packet's text form. */
  String encode() {
    StringBuilder b = new StringBuilder().append((char) ('0' + type));
    if (type == BINARY_EVENT || type == BINARY_ACK) b.append(attachments).append('-');
    if (!"/".equals(nsp)) b.append(nsp).append(',');
    if (ackId >= 0) b.append(ackId);
    if (data != null) b.append(Json.encode(data));
    return b.toString();
  }

  /** Parses a packet as the reference parser does, and checks its data has the shape its type needs. */
  static SocketIoPacket decode(String text) {
    if (text.isEmpty()) throw new MalformedPacketException("empty packet");
    int type = text.charAt(0) - '0';
    if (type < CONNECT || type > BINARY_ACK) throw new MalformedPacketException("unknown packet type");
    int i = 1;
    int attachments = 0;
    if (type == BINARY_EVENT || type == BINARY_ACK) {
      int dash = text.indexOf('-', i);
      if (dash < 0 || dash == i || dash - i > 6) throw new MalformedPacketException("illegal attachments");
      for (int j = i; j < dash; j++) {
        if (!isDigit(text.charAt(j))) throw new MalformedPacketException("illegal attachments");
      }
      attachments = Integer.parseInt(text.substring(i, dash));
      i = dash + 1;
    }
    String nsp = "/";
    if (i < text.length() && text.charAt(i) == '/') {
      int comma = text.indexOf(',', i);
      int end = comma < 0 ? text.length() : comma;
      nsp = text.substring(i, end);
      i = comma < 0 ? end : comma + 1;
    }
    long ackId = -1;
    int digits = i;
    while (i < text.length() && isDigit(text.charAt(i))) i++;
    if (i > digits) {
      if (i - digits > 16) throw new MalformedPacketException("illegal ack id");
      ackId = Long.parseLong(text.substring(digits, i));
      if (ackId > MAX_ACK_ID) throw new MalformedPacketException("illegal ack id");
    }
    Object data = null;
    if (i < text.length()) {
      try {
        data = Json.decodeValue(text.substring(i));
      } catch (DecodeException e) {
        throw new MalformedPacketException("invalid JSON data");
      }
      if (data == null) throw new MalformedPacketException("invalid payload");
    }
    if (!validPayload(type, data)) throw new MalformedPacketException("invalid payload");
    return new SocketIoPacket(type, nsp, ackId, data, attachments);
  }

  private static boolean validPayload(int type, Object data) {
    return switch (type) {
      case CONNECT -> data == null || data instanceof JsonObject;
      case DISCONNECT -> data == null;
      case CONNECT_ERROR -> data instanceof String || data instanceof JsonObject;
      case EVENT, BINARY_EVENT -> data instanceof JsonArray a && !a.isEmpty() && (a.getValue(0) instanceof String || a.getValue(0) instanceof Number);
      case ACK, BINARY_ACK -> data instanceof JsonArray;
      default -> false;
    };
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
