package io.ecb.engine;

import io.vertx.core.Future;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Offsets and bounded history of every stream: the part of the engine that orders delivery.
 *
 * <p>Every stream has one order, whichever node publishes: {@link #append} assigns offsets 1, 2, 3...
 * with no gaps, and the stream's epoch names the life of that numbering. When a stream's history is
 * lost (its storage failed, or it was evicted to bound memory) the next use starts it again with a
 * new epoch, which tells clients that their offsets no longer apply. History is bounded by count
 * ({@code history.size}) and age ({@code history.ttlSeconds}); recovery answers
 * {@code recovered: false} for any gap it can no longer cover exactly.
 *
 * <p>Futures complete on the caller's Vert.x context. {@code cluster.HazelcastStreamLog} is the
 * clustered implementation; {@link MemoryStreamLog} keeps one node's streams in memory.
 *
 * <p>The value types are plain classes the clustered implementation extends with its own
 * serialization, so results reach callers without a copy.
 */
public interface StreamLog {

  /**
   * Assigns the stream's next offset to a payload and stores it. {@code template} is the payload
   * JSON without offset and epoch; they are appended as its last two fields.
   */
  Future<Appended> append(String stream, String template);

  /** Where the stream stands; creates it (with a new epoch) when it does not exist. */
  Future<Position> position(String stream);

  /** Payloads after {@code sinceOffset} in epoch {@code epoch}, oldest first, when history still covers them. */
  Future<Recovery> since(String stream, long sinceOffset, String epoch);

  /** Payloads after {@code sinceOffset}, read without creating the stream (for filling a delivery gap). */
  Future<List<Appended>> read(String stream, long sinceOffset, String epoch);

  /** The payload stored at {@code offset} in epoch {@code epoch}, or null when history no longer holds it. */
  Future<String> at(String stream, long offset, String epoch);

  /** Payloads handed to reconnecting clients. */
  LongAdder recoveredMessages();

  /** Recoveries that history could not cover. */
  LongAdder unrecoverableRecoveries();

  /** Bytes of history this node holds, by the accounting that {@code history.maxBytes} bounds. */
  long historyBytes();

  /** Streams whose history this node removed to stay under {@code history.maxBytes}. */
  LongAdder evictedStreams();

  /** The JSON stored for a payload: {@code template} with its offset and epoch as the last two fields. */
  static String stamp(String template, long offset, String epoch) {
    return template.substring(0, template.length() - 1) + ",\"offset\":" + offset + ",\"epoch\":\"" + epoch + "\"}";
  }

  /** Where a stream stands: its last offset and its epoch. */
  class Position {
    protected long offset;
    protected String epoch;

    public Position(long offset, String epoch) {
      this.offset = offset;
      this.epoch = epoch;
    }

    /** For implementations that fill the fields as they read them. */
    protected Position() {
    }

    public long offset() {
      return offset;
    }

    public String epoch() {
      return epoch;
    }
  }

  /** A payload stored at {@code offset}; {@code json} already carries its offset and epoch. */
  class Appended {
    protected long offset;
    protected String epoch;
    protected String json;

    public Appended(long offset, String epoch, String json) {
      this.offset = offset;
      this.epoch = epoch;
      this.json = json;
    }

    protected Appended() {
    }

    public long offset() {
      return offset;
    }

    public String epoch() {
      return epoch;
    }

    public String json() {
      return json;
    }
  }

  /** The answer to "what did I miss since offset N of epoch E". */
  class Recovery {
    protected Position position;
    protected boolean recovered;
    protected List<String> missed;

    public Recovery(Position position, boolean recovered, List<String> missed) {
      this.position = position;
      this.recovered = recovered;
      this.missed = missed;
    }

    protected Recovery() {
    }

    public Position position() {
      return position;
    }

    public boolean recovered() {
      return recovered;
    }

    public List<String> missed() {
      return missed;
    }
  }
}
