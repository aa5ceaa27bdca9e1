package io.ecb.transport;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.List;

/**
 * The SockJS protocol both ways: the frames the server sends ({@code o}, {@code h},
 * {@code a[...]}, {@code c[...]}), written as sockjs-client expects them, and the messages a client
 * sends (a JSON array of strings, or one JSON string), on every SockJS transport.
 */
public final class SockJsCodec {

  public static final String OPEN = "o";
  public static final String HEARTBEAT = "h";
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final int REPLACEMENT = 0xFFFD;
  /**
   * How each ASCII character is written inside the frame's string, the way the stock Vert.x SockJS
   * server escapes it: null where it stands for itself. Control characters and DEL go out as
   * \\uXXXX, as does everything beyond ASCII; every SockJS client decodes that.
   */
  private static final String[] ASCII_ESCAPES = new String[0x80];

  static {
    for (int c = 0; c < 0x20; c++) ASCII_ESCAPES[c] = unicodeEscape(c);
    ASCII_ESCAPES[0x7f] = unicodeEscape(0x7f);
    ASCII_ESCAPES['"'] = "\\\"";
    ASCII_ESCAPES['\\'] = "\\\\";
    ASCII_ESCAPES['\n'] = "\\n";
    ASCII_ESCAPES['\r'] = "\\r";
    ASCII_ESCAPES['\t'] = "\\t";
  }

  private SockJsCodec() {
  }

  /** {@code a["..."]} with one message, escaped the way the stock Vert.x SockJS server escapes it. */
  public static String messageFrame(String message) {
    StringBuilder sb = new StringBuilder(message.length() + 16);
    sb.append("a[\"");
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      String escape = c < 0x80 ? ASCII_ESCAPES[c] : unicodeEscape(c);
      if (escape == null) sb.append(c);
      else sb.append(escape);
    }
    return sb.append("\"]").toString();
  }

  /**
   * {@link #messageFrame(String)} of the UTF-8 text {@code message}, as a complete WebSocket text
   * frame: built from the bytes in two passes (measure, then write), with no string in between,
   * and the same escapes.
   */
  public static byte[] messageWebSocketFrame(Buffer message) {
    byte[] in = message.getBytes();
    int length = 5; // a[" and "]
    for (int i = 0; i < in.length; ) {
      int b = in[i] & 0xFF;
      if (b < 0x80) {
        length += ASCII_ESCAPES[b] == null ? 1 : ASCII_ESCAPES[b].length();
        i++;
      } else {
        // A four-byte sequence is a code point beyond the BMP: two escaped UTF-16 surrogates.
        int size = sequenceLength(in, i);
        length += size == 4 ? 12 : 6;
        i += size;
      }
    }
    byte[] frame = WebSocketFrames.allocate(WebSocketFrames.TEXT, length);
    int o = WebSocketFrames.headerLength(length);
    frame[o++] = 'a';
    frame[o++] = '[';
    frame[o++] = '"';
    for (int i = 0; i < in.length; ) {
      int b = in[i] & 0xFF;
      if (b < 0x80) {
        o = writeAscii(frame, o, b);
        i++;
      } else {
        int size = sequenceLength(in, i);
        int cp = size == 1 ? REPLACEMENT : decode(in, i, size);
        if (size == 4) {
          o = writeUnicodeEscape(frame, o, Character.highSurrogate(cp));
          o = writeUnicodeEscape(frame, o, Character.lowSurrogate(cp));
        } else {
          o = writeUnicodeEscape(frame, o, cp);
        }
        i += size;
      }
    }
    frame[o++] = '"';
    frame[o] = ']';
    return frame;
  }

  private static int writeAscii(byte[] out, int o, int c) {
    String escape = ASCII_ESCAPES[c];
    if (escape == null) {
      out[o++] = (byte) c;
    } else {
      for (int k = 0; k < escape.length(); k++) out[o++] = (byte) escape.charAt(k);
    }
    return o;
  }

  private static int writeUnicodeEscape(byte[] out, int o, int c) {
    out[o++] = '\\';
    out[o++] = 'u';
    out[o++] = (byte) HEX[(c >> 12) & 0xF];
    out[o++] = (byte) HEX[(c >> 8) & 0xF];
    out[o++] = (byte) HEX[(c >> 4) & 0xF];
    out[o++] = (byte) HEX[c & 0xF];
    return o;
  }

  private static String unicodeEscape(int c) {
    return new String(new char[] {'\\', 'u', HEX[(c >> 12) & 0xF], HEX[(c >> 8) & 0xF], HEX[(c >> 4) & 0xF], HEX[c & 0xF]});
  }

  /**
   * Bytes of the UTF-8 sequence starting at {@code i}; 1 for a byte that starts no complete, valid
   * sequence, which is framed as U+FFFD on its own (the JDK's decoder would give one U+FFFD for a
   * truncated sequence as a whole). Payloads are encoded from strings, so this is only a guard.
   */
  private static int sequenceLength(byte[] in, int i) {
    int b = in[i] & 0xFF;
    int size = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? (b <= 0xEF ? 3 : 1) : b >= 0xC2 ? 2 : 1;
    if (size == 1 || i + size > in.length) return 1;
    for (int k = 1; k < size; k++) {
      if ((in[i + k] & 0xC0) != 0x80) return 1;
    }
    int cp = decode(in, i, size);
    boolean valid = switch (size) {
      case 3 -> cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
      case 4 -> cp >= 0x10000 && cp <= 0x10FFFF;
      default -> true;
    };
    return valid ? size : 1;
  }

  private static int decode(byte[] in, int i, int size) {
    int b = in[i] & 0xFF;
    int cp = size == 2 ? b & 0x1F : size == 3 ? b & 0x0F : b & 0x07;
    for (int k = 1; k < size; k++) cp = (cp << 6) | (in[i + k] & 0x3F);
    return cp;
  }

  /** {@code c[code,"reason"]}: the close frame; sockjs-client reports code and reason to the page. */
  public static String closeFrame(int code, String reason) {
    return "c[" + code + ",\"" + reason.replace("\"", "'") + "\"]";
  }

  /** The bridge's ping as every bridge client writes it ({@code JSON.stringify({type: 'ping'})}). */
  public static final String PING = "{\"type\":\"ping\"}";
  /** {@link #PING} in SockJS framing: what most frames of an idle connection are. */
  private static final String PING_FRAME = "[\"{\\\"type\\\":\\\"ping\\\"}\"]";
  private static final List<String> PING_ONLY = List.of(PING);

  /**
   * The messages in what a client sent, {@code text}; empty for an empty frame; null when it is
   * not SockJS framing. A lone ping, every few seconds from every connection, is recognised without
   * a parser.
   */
  public static List<String> decode(String text) {
    if (text.isEmpty()) return List.of();
    if (text.equals(PING_FRAME)) return PING_ONLY;
    try {
      if (text.startsWith("[")) {
        JsonArray a = new JsonArray(text);
        List<String> out = new ArrayList<>(a.size());
        for (Object o : a) {
          if (!(o instanceof String s)) return null;
          out.add(s);
        }
        return out;
      }
      if (text.startsWith("\"")) {
        Object v = Json.decodeValue(text);
        return v instanceof String s ? List.of(s) : null;
      }
    } catch (RuntimeException e) {
      return null;
    }
    return null;
  }
}
