package io.ecb.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.Serial;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Hazelcast map operations the node needs without tying up a worker thread. */
public final class ClusterMaps {

  private ClusterMaps() {
  }

  /**
   * Sets {@code key} to {@code value} with a time to live unless it holds a value already; the
   * future holds the previous value, or null when this call set it. Runs as an entry processor on
   * the key's owner: atomic cluster-wide, and asynchronous (IMap has no asynchronous putIfAbsent).
   */
  public static Future<String> putIfAbsent(Vertx vertx, IMap<String, String> map, String key, String value, long ttlSeconds) {
    return Future.fromCompletionStage(map.submitToKey(key, new PutIfAbsent(value, ttlSeconds)), vertx.getOrCreateContext());
  }

  /** Inside an entry processor: sets the entry's value with its own time to live. */
  public static <V> void setWithTtl(Map.Entry<String, V> entry, V value, long ttlSeconds) {
    if (entry instanceof ExtendedMapEntry<String, V> e) {
      e.setValue(value, ttlSeconds, TimeUnit.SECONDS);
    } else {
      entry.setValue(value);
    }
  }

  static final class PutIfAbsent implements EntryProcessor<String, String, String> {
    @Serial
    private static final long serialVersionUID = 1;
    private final String value;
    private final long ttlSeconds;

    PutIfAbsent(String value, long ttlSeconds) {
      this.value = value;
      this.ttlSeconds = ttlSeconds;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String previous = entry.getValue();
      if (previous == null) setWithTtl(entry, value, ttlSeconds);
      return previous;
    }
  }
}
