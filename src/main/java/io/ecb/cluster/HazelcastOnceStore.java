package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.ecb.engine.OnceStore;
import io.ecb.engine.Sends;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The once-store in Hazelcast. Send records: one entry of {@code ecb.dedup} per user, changed by
 * entry processors on its owner, so a retry that reaches any node sees the first attempt. Publish
 * claims: entries of {@code ecb.push.published} with their own time to live.
 */
public final class HazelcastOnceStore implements OnceStore {

  public static final String SENDS = "ecb.dedup";
  public static final String PUBLISHED = "ecb.push.published";

  private final Vertx vertx;
  private final IMap<String, UserSends> sends;
  private final IMap<String, String> published;

  public HazelcastOnceStore(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.sends = hazelcast.getMap(SENDS);
    this.published = hazelcast.getMap(PUBLISHED);
  }

  @Override
  public Future<String> begin(String owner, String key, long ttlSeconds, int perOwner) {
    return ClusterMaps.future(vertx, sends.submitToKey(owner, new Begin(key, System.currentTimeMillis(), ttlSeconds, perOwner)));
  }

  @Override
  public Future<Void> finish(String owner, String key, String record, long ttlSeconds) {
    return ClusterMaps.future(vertx, sends.submitToKey(owner, new Finish(key, record, System.currentTimeMillis(), ttlSeconds)));
  }

  @Override
  public List<String> records(String owner) {
    UserSends s = sends.get(owner);
    return s == null ? List.of() : s.records();
  }

  @Override
  public Future<Boolean> claim(String key, long ttlSeconds) {
    return ClusterMaps.putIfAbsent(vertx, published, key, "1", ttlSeconds).map(previous -> previous == null);
  }

  @Override
  public void release(String key) {
    published.removeAsync(key);
  }

  /** The value of one user's entry. Touched only by the processors below. */
  static final class UserSends extends Sends implements DataSerializable {

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(slots.size());
      for (Map.Entry<String, Slot> e : slots.entrySet()) {
        out.writeString(e.getKey());
        out.writeLong(e.getValue().time());
        out.writeString(e.getValue().record());
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      int n = in.readInt();
      for (int i = 0; i < n; i++) slots.put(in.readString(), new Slot(in.readLong(), in.readString()));
    }
  }

  private static void store(Map.Entry<String, UserSends> entry, UserSends sends, long ttlSeconds) {
    if (sends.isEmpty()) entry.setValue(null);
    else ClusterMaps.setWithTtl(entry, sends, ttlSeconds);
  }

  /**
   * Marks a send as pending unless it is known (see {@link OnceStore#begin}). Deterministic (the
   * caller supplies the time), as Hazelcast replays it on the backup copy.
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
      String answer = sends.begin(key, now, ttlSeconds, max);
      store(entry, sends, ttlSeconds);
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
      sends.finish(key, record, now);
      store(entry, sends, ttlSeconds);
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
