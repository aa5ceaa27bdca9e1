package io.ecb.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.ecb.engine.StreamLog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored state of one stream: its epoch, last offset and recent payloads, the value of the
 * {@code ecb.streams} map. Only the stream log's entry processors touch it, on the partition
 * thread that owns the stream.
 *
 * <p>Payloads are kept as UTF-8 records ({@code offset}, {@code time}, length, bytes) in byte arrays
 * rather than as objects. History outlives many young collections, and as objects every payload
 * was copied by the collector on its way to the old generation and every append dirtied a card of
 * an old deque: on a busy node about a third of each young pause. Bytes copied into a long-lived
 * array are neither. Reading history back (reconnects, gap repair) decodes the
 * strings again, which is rare next to appends.
 */
final class StreamHistory implements DataSerializable {

  /** offset (8) + time (8) + length (4) before each payload's bytes. */
  private static final int HEADER = 20;
  private static final int CHUNK_BITS = 12;
  private static final int CHUNK = 1 << CHUNK_BITS;

  String epoch;
  long lastOffset;
  /** When a processor that appends or recovers last ran (the caller's clock), for eviction by least recent use. */
  long lastUsed;
  /**
   * Records in fixed-size chunks, oldest first; a record may span chunks. Positions count the bytes
   * ever appended to this copy: {@code chunks.get(0)} starts at {@code base}, and the records
   * lie in {@code [head, tail)}. A chunk that trimming empties is kept for the next one needed, so
   * a stream whose history is full allocates nothing, and a growing one only its new chunks. A
   * stream with nothing left to hold keeps no chunk at all.
   */
  private final ArrayList<byte[]> chunks = new ArrayList<>();
  private byte[] spare;
  private long base;
  private long head;
  private long tail;
  private int count;

  StreamHistory(String epoch) {
    this.epoch = epoch;
  }

  private StreamHistory() {
  }

  int size() {
    return count;
  }

  /** What this copy holds on the heap by the node's accounting ({@code history.maxBytes}). */
  long bytes() {
    return (long) (chunks.size() + (spare == null ? 0 : 1)) * CHUNK + HistoryBudget.ENTRY_BYTES;
  }

  void add(long offset, long time, String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    while (tail + HEADER + bytes.length > base + (long) chunks.size() * CHUNK) {
      chunks.add(spare != null ? spare : new byte[CHUNK]);
      spare = null;
    }
    long p = putLong(tail, offset);
    p = putLong(p, time);
    p = putInt(p, bytes.length);
    copy(bytes, p);
    tail = p + bytes.length;
    count++;
  }

  /** Drops the oldest payloads while there are more than {@code maxSize} or they are older than {@code oldest}. */
  void trim(int maxSize, long oldest) {
    while (count > 0 && (count > maxSize || getLong(head + 8) < oldest)) {
      head = next(head);
      count--;
    }
    if (count == 0) {
      // An idle stream keeps no memory for payloads.
      chunks.clear();
      spare = null;
      base = head = tail;
    }
    while (head - base >= CHUNK) {
      spare = chunks.remove(0);
      base += CHUNK;
    }
  }

  /** Payloads after {@code since} in order, or null when some of them are no longer held. */
  List<String> after(long since, long oldest) {
    List<String> out = new ArrayList<>();
    long expect = since + 1;
    for (long p = head; p < tail; p = next(p)) {
      long offset = getLong(p);
      if (offset <= since) continue;
      if (offset != expect || getLong(p + 8) < oldest) return null;
      out.add(json(p));
      expect++;
    }
    return expect == lastOffset + 1 ? out : null;
  }

  /** Whatever is still held after {@code since} and not older than {@code oldest}, even with gaps. */
  List<StreamLog.Appended> held(long since, long oldest) {
    List<StreamLog.Appended> out = new ArrayList<>();
    for (long p = head; p < tail; p = next(p)) {
      long offset = getLong(p);
      if (offset > since && getLong(p + 8) >= oldest) out.add(new StreamResults.Appended(offset, epoch, json(p)));
    }
    return out;
  }

  /** The payload stored at {@code offset}, or null when it is not held or older than {@code oldest}. */
  String find(long offset, long oldest) {
    for (long p = head; p < tail; p = next(p)) {
      long at = getLong(p);
      if (at == offset) return getLong(p + 8) >= oldest ? json(p) : null;
      if (at > offset) return null;
    }
    return null;
  }

  /** The record after the one at {@code p}. */
  private long next(long p) {
    return p + HEADER + getInt(p + 16);
  }

  private String json(long p) {
    byte[] bytes = new byte[getInt(p + 16)];
    long from = p + HEADER;
    for (int done = 0; done < bytes.length; ) {
      int n = Math.min(bytes.length - done, CHUNK - index(from + done));
      System.arraycopy(chunk(from + done), index(from + done), bytes, done, n);
      done += n;
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private void copy(byte[] bytes, long to) {
    for (int done = 0; done < bytes.length; ) {
      int n = Math.min(bytes.length - done, CHUNK - index(to + done));
      System.arraycopy(bytes, done, chunk(to + done), index(to + done), n);
      done += n;
    }
  }

  private byte[] chunk(long p) {
    return chunks.get((int) ((p - base) >>> CHUNK_BITS));
  }

  private static int index(long p) {
    return (int) p & (CHUNK - 1);
  }

  private long getLong(long p) {
    return ((long) getInt(p) << 32) | (getInt(p + 4) & 0xFFFFFFFFL);
  }

  private int getInt(long p) {
    int v = 0;
    for (int i = 0; i < 4; i++) v = v << 8 | (chunk(p + i)[index(p + i)] & 0xFF);
    return v;
  }

  /** Writes {@code v} at {@code p}; returns the position after it. */
  private long putLong(long p, long v) {
    return putInt(putInt(p, (int) (v >>> 32)), (int) v);
  }

  private long putInt(long p, int v) {
    for (int i = 0; i < 4; i++) chunk(p + i)[index(p + i)] = (byte) (v >>> (24 - 8 * i));
    return p + 4;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(lastOffset);
    out.writeLong(lastUsed);
    out.writeInt(count);
    for (long p = head; p < tail; p = next(p)) {
      out.writeLong(getLong(p));
      out.writeString(json(p));
      out.writeLong(getLong(p + 8));
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readString();
    lastOffset = in.readLong();
    lastUsed = in.readLong();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      long offset = in.readLong();
      String json = in.readString();
      add(offset, in.readLong(), json);
    }
  }
}
