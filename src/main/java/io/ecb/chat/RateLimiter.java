package io.ecb.chat;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets per key (a userId), held per node: {@code rate} tokens a second up to
 * {@code burst}. With N nodes a user who spreads requests over all of them gets up to N times the
 * rate; a single client talks to one node, so in practice the limit holds.
 */
public final class RateLimiter {

  private final double ratePerNano;
  private final double burst;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }
  }

  public RateLimiter(double perSecond, int burst) {
    this.ratePerNano = perSecond / 1e9;
    this.burst = burst;
  }

  public boolean tryAcquire(String key) {
    long now = System.nanoTime();
    Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
    synchronized (b) {
      b.tokens = Math.min(burst, b.tokens + (now - b.at) * ratePerNano);
      b.at = now;
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    }
  }

  /** Forgets buckets that have refilled completely; called from a periodic timer. */
  public void sweep() {
    long now = System.nanoTime();
    buckets.entrySet().removeIf(e -> {
      Bucket b = e.getValue();
      synchronized (b) {
        return b.tokens + (now - b.at) * ratePerNano >= burst;
      }
    });
  }
}
