package io.ecb.backend;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import java.time.Duration;

/**
 * The backend's half of webhook replay protection: remembers each {@code ECB-Request-Id} whose v2
 * signature was valid until its timestamp leaves the tolerance window (a replay after that fails
 * the timestamp check anyway), and refuses one that comes again.
 *
 * <p>Memory is bounded by {@code maxIds}. When that many ids are remembered, new requests are
 * refused ({@link Outcome#FULL}, answered 503) rather than forgetting an id early, which would
 * let its request be replayed; size it above the webhook rate times twice the window.
 */
public final class WebhookReplayGuard {

  public enum Outcome { FIRST, REPLAYED, FULL }

  private final long toleranceSeconds;
  private final long maxIds;
  /** Request id → when it may be forgotten (epoch ms). */
  private final Cache<String, Long> seen;

  public WebhookReplayGuard(long toleranceSeconds, long maxIds) {
    this.toleranceSeconds = toleranceSeconds;
    this.maxIds = maxIds;
    this.seen = Caffeine.newBuilder()
      .expireAfter(Expiry.creating((String id, Long until) -> Duration.ofMillis(Math.max(0, until - System.currentTimeMillis()))))
      .executor(Runnable::run)
      .build();
  }

  /** Records a request whose signature and timestamp were checked; says whether its id is new. */
  public Outcome check(String requestId, String timestamp) {
    if (seen.estimatedSize() >= maxIds) {
      seen.cleanUp();
      if (seen.estimatedSize() >= maxIds) return Outcome.FULL;
    }
    long until = (Long.parseLong(timestamp) + toleranceSeconds) * 1000;
    return seen.asMap().putIfAbsent(requestId, until) == null ? Outcome.FIRST : Outcome.REPLAYED;
  }
}
