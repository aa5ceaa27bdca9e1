package io.ecb.cluster;

import com.hazelcast.config.IndexType;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.ecb.engine.JsonRecords;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.Serial;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * JSON records as {@code HazelcastJsonValue}s, so that Hazelcast indexes and queries their
 * fields. Searches and counts run on a worker thread (IMap has no asynchronous form of them).
 */
public final class HazelcastJsonRecords implements JsonRecords {

  private final Vertx vertx;
  private final IMap<String, HazelcastJsonValue> map;

  public HazelcastJsonRecords(Vertx vertx, IMap<String, HazelcastJsonValue> map) {
    this.vertx = vertx;
    this.map = map;
  }

  private static String text(HazelcastJsonValue v) {
    return v == null ? null : v.toString();
  }

  private static HazelcastJsonValue json(String v) {
    return v == null ? null : new HazelcastJsonValue(v);
  }

  @Override
  public Future<String> get(String key) {
    return ClusterMaps.future(vertx, map.getAsync(key)).map(HazelcastJsonRecords::text);
  }

  @Override
  public Future<Void> put(String key, String value, long ttlSeconds) {
    return ClusterMaps.future(vertx, map.setAsync(key, json(value), ttlSeconds, TimeUnit.SECONDS));
  }

  @Override
  public Future<Void> remove(String key) {
    return ClusterMaps.future(vertx, map.removeAsync(key)).mapEmpty();
  }

  @Override
  public <R> Future<R> update(String key, Update<String, R> update) {
    return ClusterMaps.future(vertx, map.submitToKey(key, new Apply<>(update)));
  }

  @Override
  public Future<Void> index(String... fields) {
    return vertx.executeBlocking(() -> {
      for (String field : fields) map.addIndex(IndexType.HASH, field);
      return null;
    }, false);
  }

  @Override
  public Future<List<String>> keysWhere(String field, String value) {
    return vertx.executeBlocking(() -> new ArrayList<>(map.keySet(Predicates.equal(field, value))), false);
  }

  @Override
  public Future<Integer> size() {
    return vertx.executeBlocking(map::size, false);
  }

  /** Runs an {@link Update} on the JSON text of the entry, as an entry processor. */
  static final class Apply<R> implements EntryProcessor<String, HazelcastJsonValue, R> {
    @Serial
    private static final long serialVersionUID = 1L;
    private final Update<String, R> update;

    Apply(Update<String, R> update) {
      this.update = update;
    }

    @Override
    public R process(Map.Entry<String, HazelcastJsonValue> entry) {
      return update.apply(new Change(entry));
    }
  }

  private record Change(Map.Entry<String, HazelcastJsonValue> entry) implements Entry<String> {

    @Override
    public String getKey() {
      return entry.getKey();
    }

    @Override
    public String getValue() {
      return text(entry.getValue());
    }

    @Override
    public String setValue(String value) {
      return text(entry.setValue(json(value)));
    }

    @Override
    public void setValue(String value, long ttlSeconds) {
      if (value != null) ClusterMaps.setWithTtl(entry, json(value), ttlSeconds);
      else entry.setValue(null);
    }

    @Override
    public void setValueKeepingExpiry(String value) {
      if (value != null && entry instanceof ExtendedMapEntry<String, HazelcastJsonValue> e) e.setValueWithoutChangingExpiryTime(json(value));
      else entry.setValue(json(value));
    }
  }
}
