package io.ecb.backend;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * The {@code ECB-Signature} of a webhook: {@code v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>}.
 * During a secret rotation one signature per configured secret is sent, comma-separated, and a
 * backend accepts the request when any of them matches a secret it knows.
 */
public final class WebhookSignature {

  public static final String HEADER = "ECB-Signature";
  public static final String TIMESTAMP = "ECB-Timestamp";
  public static final String REQUEST_ID = "ECB-Request-Id";

  private WebhookSignature() {
  }

  public static String sign(List<String> secrets, String timestamp, byte[] body) {
    StringBuilder sb = new StringBuilder();
    for (String secret : secrets) {
      if (sb.length() > 0) sb.append(',');
      sb.append("v1=").append(hmacHex(secret, timestamp, body));
    }
    return sb.toString();
  }

  /**
   * What a backend runs on each request: true when one of the header's signatures matches
   * {@code secret} and the timestamp is within {@code toleranceSeconds} of now (replay guard).
   */
  public static boolean verify(String header, String timestamp, byte[] body, String secret, long toleranceSeconds) {
    if (header == null || timestamp == null) return false;
    long ts;
    try {
      ts = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return false;
    }
    if (Math.abs(System.currentTimeMillis() / 1000 - ts) > toleranceSeconds) return false;
    byte[] expected = hmacHex(secret, timestamp, body).getBytes(StandardCharsets.US_ASCII);
    for (String part : header.split(",")) {
      String p = part.trim();
      if (p.startsWith("v1=") && MessageDigest.isEqual(expected, p.substring(3).getBytes(StandardCharsets.US_ASCII))) {
        return true;
      }
    }
    return false;
  }

  static String hmacHex(String secret, String timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) '.');
      mac.update(body);
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
