package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.ReplicaMigrationEvent;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bytes of stream history this node owns ({@code history.maxBytes}), and the eviction that
 * keeps them under the bound by removing the least recently used streams.
 *
 * <p>Hazelcast's own eviction cannot do this for {@code ecb.streams}: its heap-based max-size
 * policies count nothing for the OBJECT in-memory format (an OBJECT record's cost is 0), and the
 * entry-count policies bound streams, not bytes. BINARY format would let Hazelcast measure the
 * entries but serialize a stream's whole history on every append.
 *
 * <p>So the stream log's processors report, on the partition owner, each stream's size and last
 * use here; a node-local instance is found through the Hazelcast instance's user context (the
 * processors are {@code HazelcastInstanceAware}). When the total passes the bound, a pass on a
 * worker thread removes the least recently used streams' entries (their history and position)
 * until the total is back under 90% of it. A removed stream starts again with a new epoch at its
 * next use, the rule for a stream whose history was lost: a client's recovery from before answers
 * {@code recovered: false}. Each removal is an entry processor that runs only if the stream was
 * not used after the pass chose it, and is replayed on the backup copy, which it removes too.
 *
 * <p>Streams that arrive by partition migration, or leave by it or by expiry, are not reported by
 * a processor: each pass first reconciles the accounting with the keys this node owns, and a pass
 * runs after every finished migration and at least every 30 seconds.
 */
final class HistoryBudget {

  private static final Logger LOG = Logger.getLogger(HistoryBudget.class.getName());
  static final String CONTEXT_KEY = "ecb.historyBudget";

  /** What one stream costs by the accounting: its 4 KiB chunks plus this much for the entry. */
  static final long ENTRY_BYTES = 64;
  private static final long RECONCILE_MS = 30_000;

  private record Candidate(String stream, long lastUsed, long bytes) {
  }

  private static final class Usage {
    volatile long bytes;
    volatile long lastUsed;
    /** The {@link #charges} count of this stream's last charge. */
    volatile long charged;
  }

  private final Vertx vertx;
  private final IMap<String, StreamHistory> map;
  private final long maxBytes;
  private final ConcurrentHashMap<String, Usage> streams = new ConcurrentHashMap<>();
  private final AtomicLong total = new AtomicLong();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  /**
   * Counts charges, so a pass knows which streams were charged before it listed the owned keys:
   * a processor's own time comes from the node that sent it and says nothing about that order.
   */
  private final AtomicLong charges = new AtomicLong();
  private final HazelcastInstance hazelcast;
  /** Streams whose history this node removed to stay under the bound. */
  final LongAdder evicted = new LongAdder();

  HistoryBudget(Vertx vertx, HazelcastInstance hazelcast, IMap<String, StreamHistory> map, long maxBytes) {
    this.vertx = vertx;
    this.map = map;
    this.maxBytes = maxBytes;
    this.hazelcast = hazelcast;
    hazelcast.getUserContext().put(CONTEXT_KEY, this);
    hazelcast.getPartitionService().addMigrationListener(new MigrationListener() {
      @Override
      public void migrationStarted(MigrationState state) {
      }

      @Override
      public void migrationFinished(MigrationState state) {
        schedule();
      }

      @Override
      public void replicaMigrationCompleted(ReplicaMigrationEvent event) {
        schedule();
      }

      @Override
      public void replicaMigrationFailed(ReplicaMigrationEvent event) {
      }
    });
    // Migration events are not promised to every member (nor at all if the coordinator dies),
    // and a member that leaves hands its streams over by promotion: reconcile on a timer too.
    vertx.setPeriodic(RECONCILE_MS, RECONCILE_MS, id -> schedule());
  }

  /** The budget of the node a processor runs on, or null when it has none. */
  static HistoryBudget of(HazelcastInstance hazelcast) {
    return hazelcast == null ? null : (HistoryBudget) hazelcast.getUserContext().get(CONTEXT_KEY);
  }

  long total() {
    return total.get();
  }

  /**
   * Records a stream's size and last use; runs on the stream's partition thread on its owner, so
   * one stream's calls never overlap.
   */
  void charge(String stream, long bytes, long lastUsed) {
    streams.compute(stream, (k, u) -> {
      if (u == null) u = new Usage();
      total.addAndGet(bytes - u.bytes);
      u.bytes = bytes;
      u.lastUsed = Math.max(u.lastUsed, lastUsed);
      u.charged = charges.incrementAndGet();
      return u;
    });
    if (total.get() > maxBytes) schedule();
  }

  void forget(String stream) {
    forgetIfChargedBy(stream, Long.MAX_VALUE);
  }

  /** Forgets a stream unless it was charged after the {@code charges} count {@code by}. */
  private void forgetIfChargedBy(String stream, long by) {
    streams.computeIfPresent(stream, (k, u) -> {
      if (u.charged > by) return u;
      total.addAndGet(-u.bytes);
      return null;
    });
  }

  /** Runs a pass on a worker thread unless one is already waiting to run. */
  void schedule() {
    if (!hazelcast.getLifecycleService().isRunning() || !scheduled.compareAndSet(false, true)) return;
    try {
      vertx.executeBlocking(() -> {
        scheduled.set(false);
        pass();
        return null;
      }, false).onFailure(e -> LOG.log(Level.WARNING, "history eviction failed", e));
    } catch (RuntimeException e) {
      // Vert.x is closing: the append that asked must not fail for it; a later one asks again.
      scheduled.set(false);
    }
  }

  /** Reconciles with the owned keys, then removes least recently used streams while over the bound. */
  private synchronized void pass() throws Exception {
    reconcile();
    long over = total.get() - maxBytes / 10 * 9;
    if (total.get() <= maxBytes || over <= 0) return;
    // A snapshot: the values change under the partition threads while this sorts.
    List<Candidate> byAge = new ArrayList<>(streams.size());
    streams.forEach((key, u) -> byAge.add(new Candidate(key, u.lastUsed, u.bytes)));
    byAge.sort(Comparator.comparingLong(Candidate::lastUsed));
    List<CompletableFuture<Boolean>> removals = new ArrayList<>();
    for (Candidate c : byAge) {
      if (over <= 0) break;
      over -= c.bytes();
      removals.add(map.submitToKey(c.stream(), new StreamProcessors.Evict(c.lastUsed())).toCompletableFuture());
    }
    CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }

  /**
   * Measures owned streams the accounting does not know (migrated here) and forgets known ones
   * this node no longer owns (migrated away, expired) unless charged since the pass listed them.
   */
  private void reconcile() throws Exception {
    // Read before listing: a stream charged up to here had its entry written before the listing.
    long listedAfter = charges.get();
    Set<String> owned = map.localKeySet();
    // One submitToKey each, not executeOnKeys: only single-key operations hand the processor its
    // HazelcastInstance when it runs where it was created.
    List<CompletableFuture<Boolean>> measured = new ArrayList<>();
    for (String key : owned) {
      if (!streams.containsKey(key)) measured.add(map.submitToKey(key, new StreamProcessors.Measure()).toCompletableFuture());
    }
    CompletableFuture.allOf(measured.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (String key : streams.keySet()) {
      if (!owned.contains(key)) forgetIfChargedBy(key, listedAfter);
    }
  }
}
