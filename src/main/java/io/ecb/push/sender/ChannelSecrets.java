package io.ecb.push.sender;

import io.ecb.auth.HmacSha256;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Channel secrets of the Channel Sender profile: {@code "<valid_until_ms>:<token>"}, where the token
 * is a Phoenix-style signed token {@code SFMyNTY.<payload>.<signature>} ("SFMyNTY" is base64 of
 * "HS256"). The payload is base64url JSON {@code {ref, app, user, exp}} and the signature an
 * HMAC-SHA256 over {@code SFMyNTY.<payload>} with a key derived from the cluster-wide server secret.
 *
 * <p>The secret is self-contained: any node can verify it without looking anything up. The
 * {@code valid_until_ms} prefix is informative for clients; verification uses the signed {@code exp}.
 */
final class ChannelSecrets {

  private static final String HEADER = "SFMyNTY";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** What a secret says once verified. */
  record Claims(String ref, String app, String user, long exp) {
  }

  /** Outcome of a verification: claims when valid, else a reason (expired, invalid, different_channel). */
  record Verified(Claims claims, String failure) {
    boolean ok() {
      return claims != null;
    }
  }

  private final byte[] key;
  private final long maxAgeMs;

  /** @param serverSecret the server secret every node shares (push.channelSender.secret, see ClusterSecrets) */
  ChannelSecrets(String serverSecret, long maxAgeSeconds) {
    // Derive the signing key, so the configured secret itself is never used directly as a MAC key.
    this.key = HmacSha256.sign(serverSecret.getBytes(StandardCharsets.UTF_8), "ecb.channel-sender.v1");
    this.maxAgeMs = maxAgeSeconds * 1000;
  }

  long maxAgeMs() {
    return maxAgeMs;
  }

  /** A new secret for channel {@code ref} of {@code app}/{@code user}, valid for maxAgeSeconds from now. */
  String issue(String ref, String app, String user) {
    long exp = System.currentTimeMillis() + maxAgeMs;
    String payload = B64.encodeToString(new JsonObject().put("ref", ref).put("app", app).put("user", user).put("exp", exp)
      .encode().getBytes(StandardCharsets.UTF_8));
    String signed = HEADER + "." + payload;
    return exp + ":" + signed + "." + B64.encodeToString(HmacSha256.sign(key, signed));
  }

  /** Checks the signature, the expiry, and that the secret was issued for {@code channelRef}. */
  Verified verify(String secret, String channelRef) {
    if (secret == null) return new Verified(null, "invalid");
    int colon = secret.indexOf(':');
    String token = colon >= 0 ? secret.substring(colon + 1) : secret;
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || !HEADER.equals(parts[0])) return new Verified(null, "invalid");
    byte[] expected = HmacSha256.sign(key, parts[0] + "." + parts[1]);
    byte[] given;
    try {
      given = B64D.decode(parts[2]);
    } catch (IllegalArgumentException e) {
      return new Verified(null, "invalid");
    }
    if (!MessageDigest.isEqual(expected, given)) return new Verified(null, "invalid");
    Claims claims;
    try {
      JsonObject p = new JsonObject(new String(B64D.decode(parts[1]), StandardCharsets.UTF_8));
      claims = new Claims(p.getString("ref"), p.getString("app"), p.getString("user"), p.getLong("exp"));
    } catch (RuntimeException e) {
      return new Verified(null, "invalid");
    }
    if (claims.exp() <= System.currentTimeMillis()) return new Verified(null, "expired");
    if (!claims.ref().equals(channelRef)) return new Verified(null, "different_channel");
    return new Verified(claims, null);
  }
}
