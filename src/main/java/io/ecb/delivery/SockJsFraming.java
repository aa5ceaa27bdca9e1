package io.ecb.delivery;

/** SockJS framing for the WebSocket transport, as sockjs-client expects it. */
public final class SockJsFraming {

  public static final String OPEN = "o";
  public static final String HEARTBEAT = "h";
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private SockJsFraming() {
  }

  /** {@code a["..."]} with one message, escaped the way the stock Vert.x SockJS server escapes it. */
  public static String messageFrame(String message) {
    StringBuilder sb = new StringBuilder(message.length() + 16);
    sb.append("a[\"");
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          // Non-ASCII and control characters go out as \\uXXXX, which every SockJS client decodes.
          if (c < 0x20 || c >= 0x7f) {
            sb.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
              .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append("\"]").toString();
  }

  /** {@code c[code,"reason"]}: the close frame; sockjs-client reports code and reason to the page. */
  public static String closeFrame(int code, String reason) {
    return "c[" + code + ",\"" + reason.replace("\"", "'") + "\"]";
  }
}
