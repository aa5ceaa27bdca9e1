package io.ecb.engine;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The once-store of a single node, in its heap, with the same answers as the clustered one. Each
 * owner's records change under its lock; results reach the caller on its context.
 */
public final class MemoryOnceStore implements OnceStore {

  private record Claim(long until) {
  }

  private final Vertx vertx;
  private final ConcurrentHashMap<String, Sends> sends = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Claim> claims = new ConcurrentHashMap<>();

  public MemoryOnceStore(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<String> begin(String owner, String key, long ttlSeconds, int perOwner) {
    long now = System.currentTimeMillis();
    return later(() -> {
      String[] answer = new String[1];
      sends.compute(owner, (k, s) -> {
        Sends v = s == null ? new Sends() : s;
        answer[0] = v.begin(key, now, ttlSeconds, perOwner);
        return v.isEmpty() ? null : v;
      });
      return answer[0];
    });
  }

  @Override
  public Future<Void> finish(String owner, String key, String record, long ttlSeconds) {
    long now = System.currentTimeMillis();
    return later(() -> {
      sends.compute(owner, (k, s) -> {
        if (s == null && record == null) return null;
        Sends v = s == null ? new Sends() : s;
        v.finish(key, record, now);
        return v.isEmpty() ? null : v;
      });
      return null;
    });
  }

  @Override
  public List<String> records(String owner) {
    List<String>[] out = new List[]{List.of()};
    sends.computeIfPresent(owner, (k, s) -> {
      out[0] = s.records();
      return s;
    });
    return out[0];
  }

  @Override
  public Future<Boolean> claim(String key, long ttlSeconds) {
    long now = System.currentTimeMillis();
    return later(() -> {
      boolean[] claimed = new boolean[1];
      claims.compute(key, (k, c) -> {
        if (c != null && c.until() > now) return c;
        claimed[0] = true;
        return new Claim(now + ttlSeconds * 1000);
      });
      return claimed[0];
    });
  }

  @Override
  public void release(String key) {
    claims.remove(key);
  }

  /** Runs {@code change} now and hands its result to the caller's context, as a clustered store would. */
  private <R> Future<R> later(Supplier<R> change) {
    return Later.later(vertx, change);
  }
}
