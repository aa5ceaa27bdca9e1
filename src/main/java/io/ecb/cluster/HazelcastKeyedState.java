package io.ecb.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import io.ecb.engine.KeyedState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.Serial;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keyed state in a Hazelcast map of the same name (maps named {@code ecb.push.*} have a backup
 * copy, see conf/cluster.xml). Updates are entry processors on the key's owner, replayed on the
 * backup.
 */
public final class HazelcastKeyedState<V> implements KeyedState<V> {

  private final Vertx vertx;
  private final IMap<String, V> map;

  public HazelcastKeyedState(Vertx vertx, IMap<String, V> map) {
    this.vertx = vertx;
    this.map = map;
  }

  @Override
  public Future<V> get(String key) {
    return ClusterMaps.future(vertx, map.getAsync(key));
  }

  @Override
  public Future<Void> put(String key, V value, long ttlSeconds) {
    return ClusterMaps.future(vertx, map.setAsync(key, value, ttlSeconds, TimeUnit.SECONDS));
  }

  @Override
  public Future<Void> remove(String key) {
    return ClusterMaps.future(vertx, map.removeAsync(key)).mapEmpty();
  }

  @Override
  public <R> Future<R> update(String key, Update<V, R> update) {
    return ClusterMaps.future(vertx, map.submitToKey(key, new Apply<>(update)));
  }

  /** Runs an {@link Update} as an entry processor (and, as its own backup processor, on the backup). */
  static final class Apply<V, R> implements EntryProcessor<String, V, R> {
    @Serial
    private static final long serialVersionUID = 1L;
    private final Update<V, R> update;

    Apply(Update<V, R> update) {
      this.update = update;
    }

    @Override
    public R process(Map.Entry<String, V> entry) {
      return update.apply(new Change<>(entry));
    }
  }

  private record Change<V>(Map.Entry<String, V> entry) implements Entry<V> {

    @Override
    public String getKey() {
      return entry.getKey();
    }

    @Override
    public V getValue() {
      return entry.getValue();
    }

    @Override
    public V setValue(V value) {
      return entry.setValue(value);
    }

    @Override
    public void setValue(V value, long ttlSeconds) {
      if (value != null) ClusterMaps.setWithTtl(entry, value, ttlSeconds);
      else entry.setValue(null);
    }

    @Override
    public void setValueKeepingExpiry(V value) {
      if (value != null && entry instanceof ExtendedMapEntry<String, V> e) e.setValueWithoutChangingExpiryTime(value);
      else entry.setValue(value);
    }
  }
}
