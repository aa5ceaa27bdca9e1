package io.ecb.engine;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Keyed state of a single node, in its heap; each key's updates run under its map slot's lock. */
public class MemoryKeyedState<V> implements KeyedState<V> {

  private record Held<V>(V value, long expiresAt) {
    boolean alive(long now) {
      return expiresAt == 0 || expiresAt > now;
    }
  }

  private final Vertx vertx;
  private final ConcurrentHashMap<String, Held<V>> values = new ConcurrentHashMap<>();

  public MemoryKeyedState(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<V> get(String key) {
    return later(() -> {
      Held<V> h = values.get(key);
      return h != null && h.alive(System.currentTimeMillis()) ? h.value() : null;
    });
  }

  @Override
  public Future<Void> put(String key, V value, long ttlSeconds) {
    return later(() -> {
      values.put(key, new Held<>(value, expiry(ttlSeconds)));
      return null;
    });
  }

  @Override
  public Future<Void> remove(String key) {
    return later(() -> {
      values.remove(key);
      return null;
    });
  }

  @Override
  public <R> Future<R> update(String key, Update<V, R> update) {
    return later(() -> {
      Object[] result = new Object[1];
      values.compute(key, (k, h) -> {
        long now = System.currentTimeMillis();
        Change<V> change = new Change<>(k, h != null && h.alive(now) ? h : null);
        result[0] = update.apply(change);
        return change.held;
      });
      @SuppressWarnings("unchecked") R r = (R) result[0];
      return r;
    });
  }

  /** The keys alive now with their values, for subclasses that search them. */
  protected Map<String, V> entries() {
    long now = System.currentTimeMillis();
    Map<String, V> out = new HashMap<>();
    values.forEach((k, h) -> {
      if (h.alive(now)) out.put(k, h.value());
    });
    return out;
  }

  private static long expiry(long ttlSeconds) {
    return ttlSeconds > 0 ? System.currentTimeMillis() + ttlSeconds * 1000 : 0;
  }

  private static final class Change<V> implements Entry<V> {
    private final String key;
    Held<V> held;

    Change(String key, Held<V> held) {
      this.key = key;
      this.held = held;
    }

    @Override
    public String getKey() {
      return key;
    }

    @Override
    public V getValue() {
      return held == null ? null : held.value();
    }

    @Override
    public V setValue(V value) {
      V old = getValue();
      held = value == null ? null : new Held<>(value, 0);
      return old;
    }

    @Override
    public void setValue(V value, long ttlSeconds) {
      held = value == null ? null : new Held<>(value, expiry(ttlSeconds));
    }

    @Override
    public void setValueKeepingExpiry(V value) {
      held = value == null ? null : new Held<>(value, held == null ? 0 : held.expiresAt());
    }
  }

  protected <R> Future<R> later(Supplier<R> change) {
    return Later.later(vertx, change);
  }
}
