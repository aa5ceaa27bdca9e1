package io.ecb.chat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.ecb.cluster.ClusterMaps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Makes sendMessage idempotent per (userId, threadId, clientMessageId) for a time window, across
 * the cluster: a retry that reaches any node gets the first result instead of a second webhook.
 * The first request marks the send as pending; a retry that arrives while it is still pending gets
 * CONFLICT (retry later); a failed first attempt frees it so a retry can try again.
 *
 * <p>What a send leaves behind is a {@link Sent} record of about a hundred bytes (messageId,
 * offset, epoch, creation time, type), not the result: the message itself is in the thread's
 * history, where a retry reads it back (see {@link ChatService}). The records of one user are one
 * entry of {@code ecb.dedup} keyed by userId, holding at most {@code limits.dedupPerUser} of them;
 * past that the oldest completed record gives way, so a user who sends more than that within the
 * window has a shorter window for the oldest sends, never an unbounded store. The clientMessageId
 * is kept only as a 128-bit hash, so a long one costs nothing either.
 */
public final class SendDedup {

  public static final String MAP = "ecb.dedup";
  static final String PENDING = "\u0000pending";
  static final String FULL = "\u0000full";

  /** What a retry needs to answer: the first result's message identity and place in the stream. */
  public record Sent(String messageId, long offset, String epoch, long creationTime, String type) {

    String encode() {
      JsonObject o = new JsonObject().put("o", offset).put("e", epoch).put("t", creationTime);
      if (messageId != null) o.put("m", messageId);
      if (type != null) o.put("y", type);
      return o.encode();
    }

    static Sent decode(String json) {
      JsonObject o = new JsonObject(json);
      return new Sent(o.getString("m"), o.getLong("o"), o.getString("e"), o.getLong("t", 0L), o.getString("y"));
    }
  }

  /** A first attempt's reply to the caller, and the record kept for its retries. */
  public record Result(JsonObject reply, Sent sent) {
  }

  private final Vertx vertx;
  private final IMap<String, UserSends> map;
  private final long ttlSeconds;
  private final int perUser;

  public SendDedup(Vertx vertx, HazelcastInstance hazelcast, long ttlSeconds, int perUser) {
    this.vertx = vertx;
    this.map = hazelcast.getMap(MAP);
    this.ttlSeconds = ttlSeconds;
    this.perUser = Math.max(1, perUser);
  }

  /**
   * Runs {@code action} unless this (user, scope, clientMessageId) was sent within the window; a
   * retry's reply is built by {@code replay} from the first attempt's record.
   */
  public Future<JsonObject> once(String userId, String scope, String clientMessageId,
                                 Supplier<Future<Result>> action, Function<Sent, Future<JsonObject>> replay) {
    String key = key(scope, clientMessageId);
    return ClusterMaps.future(vertx, map.submitToKey(userId, new Begin(key, System.currentTimeMillis(), ttlSeconds, perUser)))
      .compose(previous -> {
        if (previous == null) {
          return action.get()
            .compose(result -> ClusterMaps.future(vertx, map.submitToKey(userId,
                new Finish(key, result.sent().encode(), System.currentTimeMillis(), ttlSeconds)))
              .map(v -> result.reply()))
            .onFailure(e -> map.submitToKey(userId, new Finish(key, null, System.currentTimeMillis(), ttlSeconds)));
        }
        if (PENDING.equals(previous)) {
          return Future.failedFuture(new EcbException(ErrorCode.CONFLICT,
            "a message with this clientMessageId is still being sent; retry shortly"));
        }
        if (FULL.equals(previous)) {
          return Future.failedFuture(new EcbException(ErrorCode.RATE_LIMITED,
            "too many messages of this user are still being sent; retry shortly"));
        }
        return replay.apply(Sent.decode(previous));
      });
  }

  /** The records kept for {@code userId} (for tests and diagnostics; a blocking read). */
  List<String> records(String userId) {
    UserSends sends = map.get(userId);
    List<String> out = new ArrayList<>();
    if (sends != null) sends.slots.values().forEach(s -> out.add(s.record == null ? PENDING : s.record));
    return out;
  }

  private static String key(String scope, String clientMessageId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
        .digest((scope + "\n" + clientMessageId).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One send: when it was marked, and its record once it succeeded (null while pending). */
  static final class Slot {
    final long time;
    final String record;

    Slot(long time, String record) {
      this.time = time;
      this.record = record;
    }
  }

  /** The value of one user's entry: sends by key, oldest first. Touched only by the processors below. */
  static final class UserSends implements DataSerializable {
    final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>();

    /** Drops what is older than the window; the window starts when a send is marked or completed. */
    void expire(long oldest) {
      slots.values().removeIf(s -> s.time < oldest);
    }

    /** Makes room for one more send: drops the oldest completed record; false when all are pending. */
    boolean makeRoom(int max) {
      for (Iterator<Slot> it = slots.values().iterator(); slots.size() >= max && it.hasNext(); ) {
        if (it.next().record != null) it.remove();
      }
      return slots.size() < max;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(slots.size());
      for (Map.Entry<String, Slot> e : slots.entrySet()) {
        out.writeString(e.getKey());
        out.writeLong(e.getValue().time);
        out.writeString(e.getValue().record);
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      int n = in.readInt();
      for (int i = 0; i < n; i++) slots.put(in.readString(), new Slot(in.readLong(), in.readString()));
    }
  }

  /**
   * Marks a send as pending unless it is known; returns null when marked, else the record,
   * {@link #PENDING} or {@link #FULL}. Deterministic (the caller supplies the time), as Hazelcast
   * replays it on the backup copy.
   */
  static final class Begin implements EntryProcessor<String, UserSends, String>, DataSerializable {
    private String key;
    private long now;
    private long ttlSeconds;
    private int max;

    Begin(String key, long now, long ttlSeconds, int max) {
      this.key = key;
      this.now = now;
      this.ttlSeconds = ttlSeconds;
      this.max = max;
    }

    private Begin() {
    }

    @Override
    public String process(Map.Entry<String, UserSends> entry) {
      UserSends sends = entry.getValue() == null ? new UserSends() : entry.getValue();
      sends.expire(now - ttlSeconds * 1000);
      Slot known = sends.slots.get(key);
      String answer;
      if (known != null) {
        answer = known.record == null ? PENDING : known.record;
      } else if (!sends.makeRoom(max)) {
        answer = FULL;
      } else {
        sends.slots.put(key, new Slot(now, null));
        answer = null;
      }
      if (sends.slots.isEmpty()) entry.setValue(null);
      else ClusterMaps.setWithTtl(entry, sends, ttlSeconds);
      return answer;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(key);
      out.writeLong(now);
      out.writeLong(ttlSeconds);
      out.writeInt(max);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      key = in.readString();
      now = in.readLong();
      ttlSeconds = in.readLong();
      max = in.readInt();
    }
  }

  /** Stores a send's record (the window restarts), or with a null record frees the key for a new try. */
  static final class Finish implements EntryProcessor<String, UserSends, Void>, DataSerializable {
    private String key;
    private String record;
    private long now;
    private long ttlSeconds;

    Finish(String key, String record, long now, long ttlSeconds) {
      this.key = key;
      this.record = record;
      this.now = now;
      this.ttlSeconds = ttlSeconds;
    }

    private Finish() {
    }

    @Override
    public Void process(Map.Entry<String, UserSends> entry) {
      UserSends sends = entry.getValue();
      if (sends == null) {
        if (record == null) return null;
        sends = new UserSends();
      }
      if (record == null) {
        sends.slots.remove(key);
      } else {
        // Keeps its place among the user's sends (LinkedHashMap), so eviction stays oldest first.
        sends.slots.put(key, new Slot(now, record));
      }
      if (sends.slots.isEmpty()) entry.setValue(null);
      else ClusterMaps.setWithTtl(entry, sends, ttlSeconds);
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(key);
      out.writeString(record);
      out.writeLong(now);
      out.writeLong(ttlSeconds);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      key = in.readString();
      record = in.readString();
      now = in.readLong();
      ttlSeconds = in.readLong();
    }
  }
}
