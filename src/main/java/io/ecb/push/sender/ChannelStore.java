package io.ecb.push.sender;

import com.hazelcast.config.IndexType;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.ecb.cluster.ClusterMaps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The Channel Sender state that must survive a node, kept in Hazelcast (maps named
 * {@code ecb.push.*} have a backup copy, see conf/cluster.xml):
 * <ul>
 *   <li>{@code ecb.push.sender.channels}: channel_ref → JSON {@code {app, user, created}}; queried by
 *   {@code app} / {@code user} (indexed) for app_ref / user_ref fan-out, counted for /count.</li>
 *   <li>{@code ecb.push.sender.pending}: channel_ref → JSON array of the channel's unacknowledged
 *   messages, oldest first, at most maxPending (the oldest is evicted). A message stays there until
 *   it is acked (or dropped after its last redelivery), so a socket that reconnects on any node
 *   gets it again.</li>
 * </ul>
 * Channels and their queues expire after {@code channelTtlSeconds} without activity (creation,
 * delivery, socket authentication or a connected socket's periodic touch).
 *
 * <p>Every call is asynchronous (Hazelcast async APIs or executeBlocking) and completes on the
 * caller's Vert.x context; queue updates are entry processors, atomic per channel.
 */
final class ChannelStore {

  static final String CHANNELS = "ecb.push.sender.channels";
  static final String PENDING = "ecb.push.sender.pending";

  private final Vertx vertx;
  private final IMap<String, HazelcastJsonValue> channels;
  private final IMap<String, String> pending;
  private final long ttlSeconds;
  private final int maxPending;

  ChannelStore(Vertx vertx, HazelcastInstance hz, long ttlSeconds, int maxPending) {
    this.vertx = vertx;
    this.channels = hz.getMap(CHANNELS);
    this.pending = hz.getMap(PENDING);
    this.ttlSeconds = ttlSeconds;
    this.maxPending = maxPending;
  }

  /** Adds the fan-out indexes (idempotent). */
  Future<Void> start() {
    return vertx.executeBlocking(() -> {
      channels.addIndex(IndexType.HASH, "app");
      channels.addIndex(IndexType.HASH, "user");
      return null;
    }, false);
  }

  private <T> Future<T> async(CompletionStage<T> stage) {
    return ClusterMaps.future(vertx, stage);
  }

  // ---- channels -------------------------------------------------------------------------------

  private static HazelcastJsonValue channelJson(String app, String user) {
    return new HazelcastJsonValue(new JsonObject().put("app", app).put("user", user)
      .put("created", System.currentTimeMillis()).encode());
  }

  Future<Void> create(String ref, String app, String user) {
    return async(channels.setAsync(ref, channelJson(app, user), ttlSeconds, TimeUnit.SECONDS));
  }

  /** The channel {@code {app, user, created}} with its expiry pushed back, or null when there is no such channel. */
  Future<JsonObject> touch(String ref) {
    return async(channels.submitToKey(ref, new Touch(ttlSeconds, null)))
      .map(v -> v == null ? null : new JsonObject(v));
  }

  /** Like touch, but recreates the channel when it is missing (a valid secret is proof enough, as in the original). */
  Future<JsonObject> ensure(String ref, String app, String user) {
    return async(channels.submitToKey(ref, new Touch(ttlSeconds, channelJson(app, user).toString())))
      .map(JsonObject::new);
  }

  Future<Void> delete(String ref) {
    return Future.all(async(channels.removeAsync(ref)), async(pending.removeAsync(ref))).mapEmpty();
  }

  /** Refs of the channels created with application_ref ({@code field = "app"}) or user_ref ({@code "user"}) {@code value}. */
  Future<List<String>> refsBy(String field, String value) {
    return vertx.executeBlocking(() -> new ArrayList<>(channels.keySet(Predicates.equal(field, value))), false);
  }

  /** Channels in the whole cluster. */
  Future<Integer> count() {
    return vertx.executeBlocking(channels::size, false);
  }

  // ---- pending (unacknowledged) messages ------------------------------------------------------

  /** Appends {@code message} (replacing one with the same message_id); returns how many old ones were evicted. */
  Future<Integer> enqueue(String ref, JsonObject message) {
    return async(pending.submitToKey(ref, new Enqueue(message.encode(), maxPending, ttlSeconds)));
  }

  /** Removes message {@code mid} from the channel's queue; true when it was there. */
  Future<Boolean> remove(String ref, String mid) {
    return async(pending.submitToKey(ref, new Remove(mid)));
  }

  /** The channel's unacknowledged messages, oldest first. */
  Future<List<JsonObject>> pending(String ref) {
    return async(pending.getAsync(ref)).map(v -> {
      List<JsonObject> list = new ArrayList<>();
      if (v != null) new JsonArray(v).forEach(o -> list.add((JsonObject) o));
      return list;
    });
  }

  // ---- entry processors (run on the partition owner and, identically, on its backup) ---------

  /** Resets the channel's expiry; creates it from {@code createWith} when missing (if given). Returns the JSON or null. */
  static final class Touch implements EntryProcessor<String, HazelcastJsonValue, String> {
    private final long ttl;
    private final String createWith;

    Touch(long ttl, String createWith) {
      this.ttl = ttl;
      this.createWith = createWith;
    }

    @Override
    public String process(Map.Entry<String, HazelcastJsonValue> entry) {
      HazelcastJsonValue v = entry.getValue();
      if (v == null && createWith == null) return null;
      if (v == null) v = new HazelcastJsonValue(createWith);
      ClusterMaps.setWithTtl(entry, v, ttl);
      return v.toString();
    }
  }

  /** Appends a message to the channel's bounded queue, evicting the oldest beyond {@code max}. */
  static final class Enqueue implements EntryProcessor<String, String, Integer> {
    private final String message;
    private final int max;
    private final long ttl;

    Enqueue(String message, int max, long ttl) {
      this.message = message;
      this.max = max;
      this.ttl = ttl;
    }

    @Override
    public Integer process(Map.Entry<String, String> entry) {
      JsonArray queue = entry.getValue() == null ? new JsonArray() : new JsonArray(entry.getValue());
      JsonObject m = new JsonObject(message);
      String mid = m.getString("mid");
      for (int i = 0; i < queue.size(); i++) {
        if (mid.equals(queue.getJsonObject(i).getString("mid"))) {
          queue.remove(i);
          break;
        }
      }
      queue.add(m);
      int evicted = 0;
      while (queue.size() > max) {
        queue.remove(0);
        evicted++;
      }
      ClusterMaps.setWithTtl(entry, queue.encode(), ttl);
      return evicted;
    }
  }

  /** Removes one message by message_id; deletes the entry when the queue becomes empty. */
  static final class Remove implements EntryProcessor<String, String, Boolean> {
    private final String mid;

    Remove(String mid) {
      this.mid = mid;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      if (entry.getValue() == null) return false;
      JsonArray queue = new JsonArray(entry.getValue());
      for (int i = 0; i < queue.size(); i++) {
        if (mid.equals(queue.getJsonObject(i).getString("mid"))) {
          queue.remove(i);
          if (queue.isEmpty()) {
            entry.setValue(null);
          } else if (entry instanceof ExtendedMapEntry<String, String> e) {
            e.setValueWithoutChangingExpiryTime(queue.encode());
          } else {
            entry.setValue(queue.encode());
          }
          return true;
        }
      }
      return false;
    }
  }
}
