package io.ecb.engine;

import io.ecb.config.EcbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The stream log of a single node, in its heap: the same offsets, epochs and recovery answers as the
 * clustered log, without a cluster. It bounds history by {@code history.size} and
 * {@code history.ttlSeconds} but not by {@code history.maxBytes}: it is meant for tests of what is
 * built on the log and for one-node use where the streams are few.
 *
 * <p>Each stream's changes run under its own lock, the counterpart of the partition thread that
 * runs the clustered log's processors; results reach the caller on its context, never in the call.
 */
public final class MemoryStreamLog implements StreamLog {

  private record Entry(long offset, long time, String json) {
  }

  /** One stream: touched only under its own lock. */
  private static final class Stream {
    final String epoch;
    long lastOffset;
    final ArrayDeque<Entry> entries = new ArrayDeque<>();

    Stream(String epoch) {
      this.epoch = epoch;
    }

    void trim(int maxSize, long oldest) {
      while (!entries.isEmpty() && (entries.size() > maxSize || entries.peekFirst().time() < oldest)) entries.pollFirst();
    }

    /** Payloads after {@code since} in order, or null when some of them are no longer held. */
    List<String> after(long since, long oldest) {
      List<String> out = new ArrayList<>();
      long expect = since + 1;
      for (Entry e : entries) {
        if (e.offset() <= since) continue;
        if (e.offset() != expect || e.time() < oldest) return null;
        out.add(e.json());
        expect++;
      }
      return expect == lastOffset + 1 ? out : null;
    }
  }

  private final Vertx vertx;
  private final int maxSize;
  private final long ttlMs;
  private final ConcurrentHashMap<String, Stream> streams = new ConcurrentHashMap<>();
  private final LongAdder recovered = new LongAdder();
  private final LongAdder unrecoverable = new LongAdder();
  private final LongAdder evicted = new LongAdder();

  public MemoryStreamLog(Vertx vertx, EcbConfig.History config) {
    this.vertx = vertx;
    this.maxSize = config.size;
    this.ttlMs = config.ttlSeconds * 1000;
  }

  /**
   * Forgets a stream's history and position, as the clustered log does when it loses or evicts
   * them: its next use starts it again with a new epoch.
   */
  public void drop(String stream) {
    Stream s = streams.get(stream);
    if (s == null) return;
    synchronized (s) {
      if (streams.remove(stream, s)) evicted.increment();
    }
  }

  @Override
  public Future<Appended> append(String stream, String template) {
    long now = System.currentTimeMillis();
    return run(stream, true, s -> {
      long offset = ++s.lastOffset;
      String json = StreamLog.stamp(template, offset, s.epoch);
      s.entries.addLast(new Entry(offset, now, json));
      s.trim(maxSize, now - ttlMs);
      return new Appended(offset, s.epoch, json);
    });
  }

  @Override
  public Future<Position> position(String stream) {
    return run(stream, true, s -> new Position(s.lastOffset, s.epoch));
  }

  @Override
  public Future<Recovery> since(String stream, long sinceOffset, String epoch) {
    long oldest = System.currentTimeMillis() - ttlMs;
    return this.<Recovery>run(stream, true, s -> {
      Position p = new Position(s.lastOffset, s.epoch);
      if (sinceOffset < 0 || !s.epoch.equals(epoch) || sinceOffset > s.lastOffset) return new Recovery(p, false, List.of());
      List<String> missed = s.after(sinceOffset, oldest);
      return missed == null ? new Recovery(p, false, List.of()) : new Recovery(p, true, missed);
    }).onSuccess(r -> {
      if (r.recovered()) recovered.add(r.missed().size());
      else unrecoverable.increment();
    });
  }

  @Override
  public Future<List<Appended>> read(String stream, long sinceOffset, String epoch) {
    long oldest = System.currentTimeMillis() - ttlMs;
    return run(stream, false, s -> {
      List<Appended> out = new ArrayList<>();
      if (s == null || !s.epoch.equals(epoch)) return out;
      for (Entry e : s.entries) {
        if (e.offset() > sinceOffset && e.time() >= oldest) out.add(new Appended(e.offset(), s.epoch, e.json()));
      }
      return out;
    });
  }

  @Override
  public Future<String> at(String stream, long offset, String epoch) {
    long oldest = System.currentTimeMillis() - ttlMs;
    return run(stream, false, s -> {
      if (s == null || !s.epoch.equals(epoch)) return null;
      for (Entry e : s.entries) {
        if (e.offset() == offset) return e.time() >= oldest ? e.json() : null;
      }
      return null;
    });
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
  public long historyBytes() {
    return 0;
  }

  @Override
  public LongAdder evictedStreams() {
    return evicted;
  }

  /**
   * Runs {@code change} on the stream under its lock, creating the stream first when
   * {@code create}; otherwise it gets null for a stream that does not exist. The result is handed
   * to the caller's context, as the clustered log's are.
   */
  private <R> Future<R> run(String name, boolean create, Function<Stream, R> change) {
    return Later.later(vertx, () -> apply(name, create, change));
  }

  private <R> R apply(String name, boolean create, Function<Stream, R> change) {
    while (true) {
      Stream s = create ? streams.computeIfAbsent(name, k -> new Stream(newEpoch())) : streams.get(name);
      if (s == null) return change.apply(null);
      synchronized (s) {
        // A stream dropped between the lookup and the lock is gone: use the one that replaced it.
        if (streams.get(name) == s) return change.apply(s);
      }
    }
  }

  private static String newEpoch() {
    return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  }
}
