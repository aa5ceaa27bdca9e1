package io.ecb.engine;

import io.vertx.core.Future;

import java.io.Serializable;
import java.util.Map;

/**
 * A named map of small values shared by the cluster, for the state the push profiles keep
 * (registrations, quotas, counters). Futures complete on the caller's Vert.x context.
 *
 * @param <V> the value type; values may cross the cluster, so they are serializable
 */
public interface KeyedState<V> {

  /**
   * A change of one key's value, run atomically where the key lives; a clustered store runs it
   * again on the value's backup copy, so it must be deterministic. It may travel to another node,
   * hence serializable. The entry's value is null when the key has none; setting null removes it.
   */
  interface Update<V, R> extends Serializable {
    R apply(Entry<V> entry);
  }

  /** The key's value inside an {@link Update}. */
  interface Entry<V> extends Map.Entry<String, V> {
    /** Sets the value with its own time to live. */
    void setValue(V value, long ttlSeconds);

    /** Sets the value and keeps the expiry the key had. */
    void setValueKeepingExpiry(V value);
  }

  Future<V> get(String key);

  /** Sets the key's value with a time to live. */
  Future<Void> put(String key, V value, long ttlSeconds);

  Future<Void> remove(String key);

  <R> Future<R> update(String key, Update<V, R> update);
}
