package io.ecb.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * HMAC-SHA256, the one MAC of ECB's own secrets: webhook signatures, Channel Sender secrets,
 * notify socket tokens, derived cluster secrets and the demo's accessTokens. Strings are keyed and
 * signed as UTF-8.
 */
public final class HmacSha256 {

  private static final String ALGORITHM = "HmacSHA256";

  private HmacSha256() {
  }

  /** A MAC ready for {@code update}s under {@code key}; each call returns a new one (a Mac is not thread-safe). */
  public static Mac mac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(key, ALGORITHM));
      return mac;
    } catch (GeneralSecurityException e) {
      // Every Java runtime must provide HmacSHA256, and any non-empty key is valid for it.
      throw new IllegalStateException(e);
    }
  }

  public static Mac mac(String key) {
    return mac(key.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] sign(byte[] key, byte[] data) {
    return mac(key).doFinal(data);
  }

  public static byte[] sign(byte[] key, String data) {
    return sign(key, data.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] sign(String key, String data) {
    return sign(key.getBytes(StandardCharsets.UTF_8), data);
  }
}
