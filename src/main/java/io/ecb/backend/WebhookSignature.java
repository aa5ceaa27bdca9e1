package io.ecb.backend;

import io.ecb.auth.HmacSha256;

import javax.crypto.Mac;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * The {@code ECB-Signature} of a webhook, two versions side by side:
 * <ul>
 *   <li>{@code v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>}, kept for backends that
 *   check it;</li>
 *   <li>{@code v2=<hex HMAC-SHA256(secret, timestamp + "." + requestId + "." + operation + "." + body)>},
 *   which also binds the request id and the operation, so a captured request can neither be
 *   replayed to another operation nor stored twice under a new id (a backend refuses a request
 *   id it has seen, within the timestamp window).</li>
 * </ul>
 * During a secret rotation each version is sent once per configured secret, comma-separated
 * ({@code v1=<a>,v1=<b>,v2=<a>,v2=<b>}); a backend accepts the request when one signature of the
 * version it checks matches a secret it knows.
 */
public final class WebhookSignature {

  public static final String HEADER = "ECB-Signature";
  public static final String TIMESTAMP = "ECB-Timestamp";
  public static final String REQUEST_ID = "ECB-Request-Id";

  private WebhookSignature() {
  }

  /** The header value: v1 then v2, each once per secret. */
  public static String sign(List<String> secrets, String timestamp, String requestId, String operation, byte[] body) {
    StringBuilder sb = new StringBuilder();
    for (String secret : secrets) {
      if (sb.length() > 0) sb.append(',');
      sb.append("v1=").append(hmacHex(secret, body, timestamp));
    }
    for (String secret : secrets) {
      sb.append(",v2=").append(hmacHex(secret, body, timestamp, requestId, operation));
    }
    return sb.toString();
  }

  /**
   * The v1 check: true when one of the header's v1 signatures matches {@code secret} and the
   * timestamp is within {@code toleranceSeconds} of now.
   */
  public static boolean verify(String header, String timestamp, byte[] body, String secret, long toleranceSeconds) {
    if (!fresh(timestamp, toleranceSeconds)) return false;
    return matches(header, "v1=", hmacHex(secret, body, timestamp));
  }

  /**
   * The v2 check a backend runs on each request: true when one of the header's v2 signatures
   * matches {@code secret} for this request id and operation (the last path segment of the
   * webhook URL) and the timestamp is within {@code toleranceSeconds} of now. Refusing a request
   * id seen before is the backend's part ({@link WebhookReplayGuard}).
   */
  public static boolean verifyV2(String header, String timestamp, String requestId, String operation, byte[] body,
                                 String secret, long toleranceSeconds) {
    if (requestId == null || requestId.isEmpty() || operation == null || !fresh(timestamp, toleranceSeconds)) return false;
    return matches(header, "v2=", hmacHex(secret, body, timestamp, requestId, operation));
  }

  /** Whether {@code timestamp} (unix seconds) is within {@code toleranceSeconds} of now. */
  public static boolean fresh(String timestamp, long toleranceSeconds) {
    if (timestamp == null) return false;
    try {
      return Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(timestamp)) <= toleranceSeconds;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean matches(String header, String version, String expectedHex) {
    if (header == null) return false;
    byte[] expected = expectedHex.getBytes(StandardCharsets.US_ASCII);
    for (String part : header.split(",")) {
      String p = part.trim();
      if (p.startsWith(version) && MessageDigest.isEqual(expected, p.substring(3).getBytes(StandardCharsets.US_ASCII))) {
        return true;
      }
    }
    return false;
  }

  /** HMAC-SHA256 over the parts joined by "." and then "." + body, in lower-case hex. */
  static String hmacHex(String secret, byte[] body, String... parts) {
    Mac mac = HmacSha256.mac(secret);
    for (String part : parts) {
      mac.update(part.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) '.');
    }
    mac.update(body);
    return HexFormat.of().formatHex(mac.doFinal());
  }
}
