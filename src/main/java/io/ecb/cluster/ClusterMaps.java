package io.ecb.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** Hazelcast map operations the node needs without tying up a worker thread. */
public final class ClusterMaps {

  /** Runs a completion callback in the Hazelcast thread that completed the operation. */
  private static final Executor IN_COMPLETING_THREAD = Runnable::run;

  private ClusterMaps() {
  }

  /**
   * The result of an asynchronous Hazelcast operation as a future of the calling Vert.x context.
   *
   * <p>Not {@code Future.fromCompletionStage}: Hazelcast runs a plain {@code whenComplete} callback
   * on {@code ForkJoinPool.commonPool()}, and when that pool has no parallelism (a process limited
   * to one or two CPUs, as in a container) it starts a new thread for every callback. Here the
   * callback runs in the Hazelcast thread and only completes the context's promise, which hands the
   * result to the caller's event loop.
   */
  public static <T> Future<T> future(Vertx vertx, CompletionStage<T> stage) {
    Promise<T> promise = ((ContextInternal) vertx.getOrCreateContext()).promise();
    stage.whenCompleteAsync((value, failure) -> {
      if (failure == null) {
        promise.complete(value);
      } else {
        promise.fail(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
      }
    }, IN_COMPLETING_THREAD);
    return promise.future();
  }

  /**
   * Sets {@code key} to {@code value} with a time to live unless it holds a value already; the
   * future holds the previous value, or null when this call set it. Runs as an entry processor on
   * the key's owner: atomic cluster-wide, and asynchronous (IMap has no asynchronous putIfAbsent).
   */
  public static Future<String> putIfAbsent(Vertx vertx, IMap<String, String> map, String key, String value, long ttlSeconds) {
    return future(vertx, map.submitToKey(key, new PutIfAbsent(value, ttlSeconds)));
  }

  /** Inside an entry processor: sets the entry's value with its own time to live. */
  public static <V> void setWithTtl(Map.Entry<String, V> entry, V value, long ttlSeconds) {
    if (entry instanceof ExtendedMapEntry<String, V> e) {
      e.setValue(value, ttlSeconds, TimeUnit.SECONDS);
    } else {
      entry.setValue(value);
    }
  }

  /** Sent to the key's owner as a {@code DataSerializable}: cheaper than Java serialization. */
  static final class PutIfAbsent implements EntryProcessor<String, String, String>, DataSerializable {
    private String value;
    private long ttlSeconds;

    PutIfAbsent(String value, long ttlSeconds) {
      this.value = value;
      this.ttlSeconds = ttlSeconds;
    }

    private PutIfAbsent() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(value);
      out.writeLong(ttlSeconds);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      value = in.readString();
      ttlSeconds = in.readLong();
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String previous = entry.getValue();
      if (previous == null) setWithTtl(entry, value, ttlSeconds);
      return previous;
    }
  }
}
