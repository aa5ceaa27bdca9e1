package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.ecb.config.EcbConfig;
import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Offsets and bounded history of every stream, held in the Hazelcast map {@code ecb.streams}
 * (one backup copy; see conf/cluster.xml).
 *
 * <p>Each change is an entry processor that runs on the partition owner of the stream's key, so
 * assigning the next offset and appending to the history is one atomic step, whichever node
 * publishes: every node and client sees one order per stream, with no gaps. Processors are
 * deterministic (the caller supplies the time and a fresh epoch) because Hazelcast replays them on
 * the backup copy. If a stream's entry and its backup are both lost, the next use creates it again
 * with a new epoch, which tells clients that their offsets no longer apply. The same happens to
 * the least recently used streams when the history a node owns passes {@code history.maxBytes}
 * (see {@link HistoryBudget}).
 *
 * <p>Processors ({@link StreamProcessors}), their results ({@link StreamResults}) and the stored history cross the cluster as Hazelcast
 * {@code DataSerializable}s, written field by field: Java serialization built an object stream for
 * every append's result, a large share of a busy node's allocation. They need no registration, so
 * a custom {@code cluster.xml} works unchanged.
 */
public final class HazelcastStreamLog implements StreamLog {

  public static final String MAP = "ecb.streams";

  private final Vertx vertx;
  private final IMap<String, StreamHistory> map;
  private final int maxSize;
  private final long ttlMs;
  private final HistoryBudget budget;
  /** Payloads handed to reconnecting clients, and recoveries that history could not cover. */
  private final LongAdder recovered = new LongAdder();
  private final LongAdder unrecoverable = new LongAdder();

  public HazelcastStreamLog(Vertx vertx, HazelcastInstance hazelcast, EcbConfig.History config) {
    this.vertx = vertx;
    this.map = hazelcast.getMap(MAP);
    this.maxSize = config.size;
    this.ttlMs = config.ttlSeconds * 1000;
    this.budget = new HistoryBudget(vertx, hazelcast, map, config.maxBytes > 0 ? config.maxBytes : Long.MAX_VALUE);
  }

  @Override
  public long historyBytes() {
    return budget.total();
  }

  @Override
  public LongAdder evictedStreams() {
    return budget.evicted;
  }

  @Override
  public LongAdder recoveredMessages() {
    return recovered;
  }

  @Override
  public LongAdder unrecoverableRecoveries() {
    return unrecoverable;
  }

  @Override
  public Future<StreamLog.Appended> append(String stream, String template) {
    return run(stream, new StreamProcessors.Append(template, newEpoch(), System.currentTimeMillis(), maxSize, ttlMs));
  }

  @Override
  public Future<StreamLog.Position> position(String stream) {
    return this.<StreamLog.Recovery>run(stream, new StreamProcessors.Recover(-1, null, newEpoch(), System.currentTimeMillis(), ttlMs))
      .map(StreamLog.Recovery::position);
  }

  @Override
  public Future<StreamLog.Recovery> since(String stream, long sinceOffset, String epoch) {
    return this.<StreamLog.Recovery>run(stream, new StreamProcessors.Recover(sinceOffset, epoch, newEpoch(), System.currentTimeMillis(), ttlMs))
      .onSuccess(r -> {
        if (r.recovered()) recovered.add(r.missed().size());
        else unrecoverable.increment();
      });
  }

  @Override
  public Future<List<StreamLog.Appended>> read(String stream, long sinceOffset, String epoch) {
    return run(stream, new StreamProcessors.Read(sinceOffset, epoch, System.currentTimeMillis(), ttlMs));
  }

  @Override
  public Future<String> at(String stream, long offset, String epoch) {
    return run(stream, new StreamProcessors.Find(offset, epoch, System.currentTimeMillis(), ttlMs));
  }

  /**
   * The processor's result on the caller's context. A future only hands its value out, so one of
   * a serializable subclass serves as one of the engine's type without a copy.
   */
  @SuppressWarnings("unchecked")
  private <R> Future<R> run(String stream, EntryProcessor<String, StreamHistory, ? extends R> processor) {
    return (Future<R>) ClusterMaps.future(vertx, map.submitToKey(stream, processor));
  }

  /**
   * 32 random bits, used only if the stream turns out to be new. Every call needs one (processors
   * are replayed on backups, so they cannot draw it themselves); a {@code SecureRandom} per append
   * cost a lock and a read of the system's entropy source.
   */
  private static String newEpoch() {
    return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  }
}
