package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.ecb.engine.StreamLog;
import io.ecb.cluster.StreamResults.Appended;
import io.ecb.cluster.StreamResults.Position;
import io.ecb.cluster.StreamResults.Recovery;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The entry processors of {@link HazelcastStreamLog}: each runs on the partition owner of a
 * stream's key (and, for changes, again on its backup), so that assigning an offset and appending
 * to the history is one atomic step. They are deterministic (the caller supplies the time and a
 * fresh epoch) and cross the cluster as {@code DataSerializable}s, written field by field.
 */
final class StreamProcessors {

  private StreamProcessors() {
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
