package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.ecb.config.EcbConfig;
import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
 * <p>Processors, their results and the stored history cross the cluster as Hazelcast
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

  /** {@link StreamLog.Position} as it crosses the cluster. */
  static final class Position extends StreamLog.Position implements DataSerializable {

    Position(long offset, String epoch) {
      super(offset, epoch);
    }

    private Position() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(offset);
      out.writeString(epoch);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      offset = in.readLong();
      epoch = in.readString();
    }
  }

  /** {@link StreamLog.Appended} as it crosses the cluster. */
  static final class Appended extends StreamLog.Appended implements DataSerializable {

    Appended(long offset, String epoch, String json) {
      super(offset, epoch, json);
    }

    private Appended() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(offset);
      out.writeString(epoch);
      out.writeString(json);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      offset = in.readLong();
      epoch = in.readString();
      json = in.readString();
    }
  }

  /** {@link StreamLog.Recovery} as it crosses the cluster. */
  static final class Recovery extends StreamLog.Recovery implements DataSerializable {

    Recovery(Position position, boolean recovered, List<String> missed) {
      super(position, recovered, missed);
    }

    private Recovery() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      ((Position) position).writeData(out);
      out.writeBoolean(recovered);
      out.writeInt(missed.size());
      for (String json : missed) out.writeString(json);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      Position p = new Position();
      p.readData(in);
      position = p;
      recovered = in.readBoolean();
      int n = in.readInt();
      missed = new ArrayList<>(n);
      for (int i = 0; i < n; i++) missed.add(in.readString());
    }
  }

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
    return run(stream, new Append(template, newEpoch(), System.currentTimeMillis(), maxSize, ttlMs));
  }

  @Override
  public Future<StreamLog.Position> position(String stream) {
    return this.<StreamLog.Recovery>run(stream, new Recover(-1, null, newEpoch(), System.currentTimeMillis(), ttlMs))
      .map(StreamLog.Recovery::position);
  }

  @Override
  public Future<StreamLog.Recovery> since(String stream, long sinceOffset, String epoch) {
    return this.<StreamLog.Recovery>run(stream, new Recover(sinceOffset, epoch, newEpoch(), System.currentTimeMillis(), ttlMs))
      .onSuccess(r -> {
        if (r.recovered()) recovered.add(r.missed().size());
        else unrecoverable.increment();
      });
  }

  @Override
  public Future<List<StreamLog.Appended>> read(String stream, long sinceOffset, String epoch) {
    return run(stream, new Read(sinceOffset, epoch, System.currentTimeMillis(), ttlMs));
  }

  @Override
  public Future<String> at(String stream, long offset, String epoch) {
    return run(stream, new Find(offset, epoch, System.currentTimeMillis(), ttlMs));
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

  /**
   * A processor that reports the stream's size and use to the node's {@link HistoryBudget}, on
   * the partition owner only: Hazelcast replays the processor's backup copy on the backup, which
   * owns nothing.
   */
  abstract static class Accounted<R> implements EntryProcessor<String, StreamHistory, R>, HazelcastInstanceAware, DataSerializable {
    boolean backup;
    private transient HistoryBudget budget;

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcast) {
      budget = HistoryBudget.of(hazelcast);
    }

    /** The node's budget when this runs on the owner, else null. */
    HistoryBudget budget() {
      return backup ? null : budget;
    }

    void charge(Map.Entry<String, StreamHistory> entry, StreamHistory h) {
      HistoryBudget b = budget();
      if (b != null) b.charge(entry.getKey(), h.bytes(), h.lastUsed);
    }
  }

  static final class Append extends Accounted<Appended> {
    private String template;
    private String epochIfNew;
    private long now;
    private int maxSize;
    private long ttlMs;

    Append(String template, String epochIfNew, long now, int maxSize, long ttlMs) {
      this.template = template;
      this.epochIfNew = epochIfNew;
      this.now = now;
      this.maxSize = maxSize;
      this.ttlMs = ttlMs;
    }

    private Append() {
    }

    @Override
    public EntryProcessor<String, StreamHistory, Appended> getBackupProcessor() {
      Append copy = new Append(template, epochIfNew, now, maxSize, ttlMs);
      copy.backup = true;
      return copy;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(template);
      out.writeString(epochIfNew);
      out.writeLong(now);
      out.writeInt(maxSize);
      out.writeLong(ttlMs);
      out.writeBoolean(backup);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      template = in.readString();
      epochIfNew = in.readString();
      now = in.readLong();
      maxSize = in.readInt();
      ttlMs = in.readLong();
      backup = in.readBoolean();
    }

    @Override
    public Appended process(Map.Entry<String, StreamHistory> entry) {
      StreamHistory h = entry.getValue();
      if (h == null) h = new StreamHistory(epochIfNew);
      long offset = ++h.lastOffset;
      String json = StreamLog.stamp(template, offset, h.epoch);
      h.add(offset, now, json);
      h.trim(maxSize, now - ttlMs);
      h.lastUsed = now;
      entry.setValue(h);
      charge(entry, h);
      return new Appended(offset, h.epoch, json);
    }
  }

  static final class Recover extends Accounted<Recovery> {
    private long since;
    private String epoch;
    private String epochIfNew;
    private long now;
    private long ttlMs;

    Recover(long since, String epoch, String epochIfNew, long now, long ttlMs) {
      this.since = since;
      this.epoch = epoch;
      this.epochIfNew = epochIfNew;
      this.now = now;
      this.ttlMs = ttlMs;
    }

    private Recover() {
    }

    @Override
    public EntryProcessor<String, StreamHistory, Recovery> getBackupProcessor() {
      Recover copy = new Recover(since, epoch, epochIfNew, now, ttlMs);
      copy.backup = true;
      return copy;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(since);
      out.writeString(epoch);
      out.writeString(epochIfNew);
      out.writeLong(now);
      out.writeLong(ttlMs);
      out.writeBoolean(backup);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      since = in.readLong();
      epoch = in.readString();
      epochIfNew = in.readString();
      now = in.readLong();
      ttlMs = in.readLong();
      backup = in.readBoolean();
    }

    @Override
    public Recovery process(Map.Entry<String, StreamHistory> entry) {
      StreamHistory h = entry.getValue();
      if (h == null) h = new StreamHistory(epochIfNew);
      // A stream clients follow counts as used, so eviction prefers streams nobody asks about.
      h.lastUsed = Math.max(h.lastUsed, now);
      entry.setValue(h);
      charge(entry, h);
      Position p = new Position(h.lastOffset, h.epoch);
      if (since < 0 || !h.epoch.equals(epoch) || since > h.lastOffset) {
        return new Recovery(p, false, List.of());
      }
      List<String> missed = h.after(since, now - ttlMs);
      return missed == null ? new Recovery(p, false, List.of()) : new Recovery(p, true, missed);
    }
  }

  /**
   * Removes a stream's entry (history and position) chosen by {@link HistoryBudget}, unless it
   * was used after {@code chosenAt} (its last use when chosen). Deterministic, as the backup
   * replays it; the next use starts the stream again with a new epoch.
   */
  static final class Evict extends Accounted<Boolean> {
    private long chosenAt;

    Evict(long chosenAt) {
      this.chosenAt = chosenAt;
    }

    private Evict() {
    }

    @Override
    public EntryProcessor<String, StreamHistory, Boolean> getBackupProcessor() {
      Evict copy = new Evict(chosenAt);
      copy.backup = true;
      return copy;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(chosenAt);
      out.writeBoolean(backup);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      chosenAt = in.readLong();
      backup = in.readBoolean();
    }

    @Override
    public Boolean process(Map.Entry<String, StreamHistory> entry) {
      StreamHistory h = entry.getValue();
      HistoryBudget b = budget();
      if (h == null) {
        if (b != null) b.forget(entry.getKey());
        return false;
      }
      if (h.lastUsed > chosenAt) return false;
      entry.setValue(null);
      if (b != null) {
        b.forget(entry.getKey());
        b.evicted.increment();
      }
      return true;
    }
  }

  /** Reports a stream the node's accounting does not know yet (one that migrated here). */
  static final class Measure extends Accounted<Boolean> implements ReadOnly {

    @Override
    public void writeData(ObjectDataOutput out) {
    }

    @Override
    public void readData(ObjectDataInput in) {
    }

    @Override
    public Boolean process(Map.Entry<String, StreamHistory> entry) {
      if (entry.getValue() != null) charge(entry, entry.getValue());
      return true;
    }

    @Override
    public EntryProcessor<String, StreamHistory, Boolean> getBackupProcessor() {
      return null;
    }
  }

  static final class Find implements EntryProcessor<String, StreamHistory, String>, ReadOnly, DataSerializable {
    private long offset;
    private String epoch;
    private long now;
    private long ttlMs;

    Find(long offset, String epoch, long now, long ttlMs) {
      this.offset = offset;
      this.epoch = epoch;
      this.now = now;
      this.ttlMs = ttlMs;
    }

    private Find() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(offset);
      out.writeString(epoch);
      out.writeLong(now);
      out.writeLong(ttlMs);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      offset = in.readLong();
      epoch = in.readString();
      now = in.readLong();
      ttlMs = in.readLong();
    }

    @Override
    public String process(Map.Entry<String, StreamHistory> entry) {
      StreamHistory h = entry.getValue();
      return h == null || !h.epoch.equals(epoch) ? null : h.find(offset, now - ttlMs);
    }

    @Override
    public EntryProcessor<String, StreamHistory, String> getBackupProcessor() {
      return null;
    }
  }

  static final class Read implements EntryProcessor<String, StreamHistory, List<StreamLog.Appended>>, ReadOnly, DataSerializable {
    private long since;
    private String epoch;
    private long now;
    private long ttlMs;

    Read(long since, String epoch, long now, long ttlMs) {
      this.since = since;
      this.epoch = epoch;
      this.now = now;
      this.ttlMs = ttlMs;
    }

    private Read() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(since);
      out.writeString(epoch);
      out.writeLong(now);
      out.writeLong(ttlMs);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      since = in.readLong();
      epoch = in.readString();
      now = in.readLong();
      ttlMs = in.readLong();
    }

    @Override
    public List<StreamLog.Appended> process(Map.Entry<String, StreamHistory> entry) {
      StreamHistory h = entry.getValue();
      if (h == null || !h.epoch.equals(epoch)) return List.of();
      return h.held(since, now - ttlMs);
    }

    @Override
    public EntryProcessor<String, StreamHistory, List<StreamLog.Appended>> getBackupProcessor() {
      return null;
    }
  }
}
