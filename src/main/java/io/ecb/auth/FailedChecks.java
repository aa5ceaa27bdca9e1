package io.ecb.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Limits failed token checks per client address and per connection ({@code limits.failedAuthPerSecond},
 * bursts of as many): a caller past its budget is refused RATE_LIMITED before its token is looked
 * at, so a flood of badly signed tokens costs one signature check per budget unit, not one per
 * frame. Only failures are charged: a client whose tokens verify is never slowed down, and a token
 * that verified before is answered from {@link TokenVerifier}'s memory without asking here.
 *
 * <p>Memory is bounded: only addresses that failed recently have an entry (at most
 * {@link #MAX_ADDRESSES}, each dropped a few seconds after its last use, when its budget is full
 * again anyway); a connection's own count lives in its {@link Caller}.
 */
public final class FailedChecks {

  static final int MAX_ADDRESSES = 100_000;
  private static final Duration IDLE = Duration.ofSeconds(10);

  /** A token bucket of failures: refills at the rate, holds one second's worth (at least one). */
  static final class Bucket {
    private double tokens = Double.NaN; // full until first charged
    private long at;

    synchronized boolean has(double perSecond, long now) {
      refill(perSecond, now);
      return tokens >= 1;
    }

    /** Charges one failure; a burst of concurrent failures may overdraw it, by one budget at most. */
    synchronized void take(double perSecond, long now) {
      refill(perSecond, now);
      tokens = Math.max(tokens - 1, -capacity(perSecond));
    }

    private void refill(double perSecond, long now) {
      if (Double.isNaN(tokens)) tokens = capacity(perSecond);
      else tokens = Math.min(capacity(perSecond), tokens + (now - at) * perSecond / 1e9);
      at = now;
    }

    private static double capacity(double perSecond) {
      return Math.max(1, perSecond);
    }
  }

  private final double perSecond;
  private final Cache<String, Bucket> addresses;
  /** Checks that failed (whoever asked). */
  public final LongAdder failures = new LongAdder();
  /** Checks refused unexamined because the caller was past its budget. */
  public final LongAdder refused = new LongAdder();

  /** @param perSecond failed checks allowed per address and per connection each second; 0 or less: no limit */
  public FailedChecks(double perSecond) {
    this.perSecond = Math.max(perSecond, 0);
    this.addresses = perSecond <= 0 ? null : Caffeine.newBuilder()
      .maximumSize(MAX_ADDRESSES)
      .expireAfterAccess(IDLE)
      // Housekeeping on the calling thread: no pool threads competing with the event loops.
      .executor(Runnable::run)
      .build();
  }

  /** No limit at all (tools and tests that check tokens directly). */
  public static FailedChecks unlimited() {
    return new FailedChecks(0);
  }

  /**
   * Whether {@code caller} may have a token checked now. When its connection's budget is spent
   * the connection is told ({@link Caller#connection}'s onLimit); a refusal because of the
   * address's budget is charged to the connection too, so a flooding socket is closed either way.
   */
  public boolean admit(Caller caller) {
    if (addresses == null || !caller.limited()) return true;
    long now = System.nanoTime();
    if (caller.connection != null && !caller.connection.has(perSecond, now)) {
      refused.increment();
      caller.connectionLimitReached();
      return false;
    }
    Bucket address = addresses.getIfPresent(caller.addressKey);
    if (address != null && !address.has(perSecond, now)) {
      refused.increment();
      if (caller.connection != null) caller.connection.take(perSecond, now);
      return false;
    }
    return true;
  }

  /** Charges one failed check to the caller's connection and address. */
  public void failed(Caller caller) {
    failures.increment();
    if (addresses == null || !caller.limited()) return;
    long now = System.nanoTime();
    if (caller.connection != null) caller.connection.take(perSecond, now);
    addresses.get(caller.addressKey, k -> new Bucket()).take(perSecond, now);
  }

  /**
   * Runs {@code check} when the caller is within budget, else fails RATE_LIMITED without running
   * it; a check that fails UNAUTHORIZED is charged.
   */
  public <T> Future<T> check(Caller caller, Supplier<Future<T>> check) {
    if (!admit(caller)) return Future.failedFuture(rateLimited());
    Future<T> result;
    try {
      result = check.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.onFailure(e -> {
      if (e instanceof EcbException ee && ee.code == ErrorCode.UNAUTHORIZED) failed(caller);
    });
  }

  public static EcbException rateLimited() {
    return new EcbException(ErrorCode.RATE_LIMITED, "too many failed token checks; slow down");
  }
}
