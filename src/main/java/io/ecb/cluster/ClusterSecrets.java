package io.ecb.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.ecb.config.EcbConfig;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The signing secrets every node of a cluster must share: the Channel notify socket-token key
 * ({@code push.notify.secret}) and the Channel Sender server secret ({@code push.channelSender.secret}).
 *
 * <p>They come from config only, never from a cluster map: Hazelcast's open-source edition has no
 * authentication, so whatever a map holds is readable by anyone who reaches a member's port. When
 * a secret is not configured it is derived from {@code backend.webhookSecret} (its first, current
 * value), which every node must share anyway: {@code HMAC-SHA256(webhookSecret, "ecb/derived-secret/" + key)}.
 * A derived secret therefore changes when the webhook secret is rotated; deployments that rotate it
 * set both push secrets explicitly.
 *
 * <p>Nodes that disagree would reject each other's tokens at random, so each node advertises a
 * fingerprint of every secret as a Hazelcast member attribute ({@code HMAC-SHA256(secret,
 * "ecb/fingerprint")}, truncated to 96 bits: it identifies the secret without revealing it), and a
 * node whose fingerprints differ from a member's refuses to start ({@link #checkAgainst}).
 */
public final class ClusterSecrets {

  /** Config keys of the secrets, also the names in error messages. */
  public static final String NOTIFY = "push.notify.secret";
  public static final String CHANNEL_SENDER = "push.channelSender.secret";
  static final String ATTRIBUTE_PREFIX = "ecb.fingerprint.";

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final Map<String, String> secrets;

  private ClusterSecrets(Map<String, String> secrets) {
    this.secrets = secrets;
  }

  /**
   * The secrets of a node's config: configured, else derived from backend.webhookSecret.
   *
   * @throws IllegalStateException when a secret is neither configured nor derivable
   */
  public static ClusterSecrets of(EcbConfig config) {
    Map<String, String> secrets = new LinkedHashMap<>();
    secrets.put(NOTIFY, config.push.notify.secret);
    secrets.put(CHANNEL_SENDER, config.push.channelSender.secret);
    for (Map.Entry<String, String> e : secrets.entrySet()) {
      if (e.getValue() != null) continue;
      if (config.backend.webhookSecrets.isEmpty()) {
        throw new IllegalStateException(e.getKey() + " is not set and cannot be derived: backend.webhookSecret is not set either");
      }
      e.setValue(B64.encodeToString(hmac(config.backend.webhookSecrets.get(0), "ecb/derived-secret/" + e.getKey())));
    }
    return new ClusterSecrets(secrets);
  }

  /** The Channel notify socket-token signing key. */
  public byte[] notifyKey() {
    return secrets.get(NOTIFY).getBytes(StandardCharsets.UTF_8);
  }

  /** The Channel Sender server secret. */
  public String channelSenderSecret() {
    return secrets.get(CHANNEL_SENDER);
  }

  /** Per secret name, a fingerprint that tells secrets apart and cannot be turned back into one. */
  public Map<String, String> fingerprints() {
    Map<String, String> out = new LinkedHashMap<>();
    secrets.forEach((name, secret) -> out.put(name, B64.encodeToString(java.util.Arrays.copyOf(hmac(secret, "ecb/fingerprint"), 12))));
    return out;
  }

  /** Lets the other members see this node's fingerprints (as member attributes, set before it joins). */
  public void advertise(Config hazelcast) {
    fingerprints().forEach((name, fp) -> hazelcast.getMemberAttributeConfig().setAttribute(ATTRIBUTE_PREFIX + name, fp));
  }

  /**
   * Compares this node's fingerprints with every other member's.
   *
   * @throws IllegalStateException naming the secrets and the members that differ
   */
  public void checkAgainst(HazelcastInstance hz) {
    Map<String, String> mine = fingerprints();
    List<String> problems = new ArrayList<>();
    for (Member m : hz.getCluster().getMembers()) {
      if (m.localMember()) continue;
      mine.forEach((name, fp) -> {
        String theirs = m.getAttribute(ATTRIBUTE_PREFIX + name);
        if (!fp.equals(theirs)) {
          problems.add(name + " differs from member " + m.getAddress() + "'s (fingerprint " + fp + " here, "
            + (theirs == null ? "none" : theirs) + " there)");
        }
      });
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("This node's signing secrets do not match the cluster's: " + String.join("; ", problems)
        + ". Every node must have the same push.notify.secret and push.channelSender.secret (or, when they are"
        + " derived, the same first backend.webhookSecret); this node refuses to start.");
    }
  }

  private static byte[] hmac(String key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
