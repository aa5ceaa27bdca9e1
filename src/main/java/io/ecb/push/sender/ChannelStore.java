package io.ecb.push.sender;

import io.ecb.engine.Engine;
import io.ecb.engine.JsonRecords;
import io.ecb.engine.KeyedState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The Channel Sender state that must survive a node, kept in the engine (in Hazelcast, maps named
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
 * <p>Every call is asynchronous and completes on the caller's Vert.x context; queue updates are
 * atomic per channel.
 */
final class ChannelStore {

  static final String CHANNELS = "ecb.push.sender.channels";
  static final String PENDING = "ecb.push.sender.pending";

  private final JsonRecords channels;
  private final KeyedState<String> pending;
  private final long ttlSeconds;
  private final int maxPending;

  ChannelStore(Engine engine, long ttlSeconds, int maxPending) {
    this.channels = engine.records(CHANNELS);
    this.pending = engine.state(PENDING);
    this.ttlSeconds = ttlSeconds;
    this.maxPending = maxPending;
  }

  /** Adds the fan-out indexes (idempotent). */
  Future<Void> start() {
    return channels.index("app", "user");
  }

  // ---- channels -------------------------------------------------------------------------------

  private static String channelJson(String app, String user) {
    return new JsonObject().put("app", app).put("user", user).put("created", System.currentTimeMillis()).encode();
  }

  Future<Void> create(String ref, String app, String user) {
    return channels.put(ref, channelJson(app, user), ttlSeconds);
  }

  /** The channel {@code {app, user, created}} with its expiry pushed back, or null when there is no such channel. */
  Future<JsonObject> touch(String ref) {
    return channels.update(ref, new Touch(ttlSeconds, null))
      .map(v -> v == null ? null : new JsonObject(v));
  }

  /** Like touch, but recreates the channel when it is missing (a valid secret is proof enough, as in the original). */
  Future<JsonObject> ensure(String ref, String app, String user) {
    return channels.update(ref, new Touch(ttlSeconds, channelJson(app, user)))
      .map(JsonObject::new);
  }

  Future<Void> delete(String ref) {
    return Future.all(channels.remove(ref), pending.remove(ref)).mapEmpty();
  }

  /** Refs of the channels created with application_ref ({@code field = "app"}) or user_ref ({@code "user"}) {@code value}. */
  Future<List<String>> refsBy(String field, String value) {
    return channels.keysWhere(field, value);
  }

  /** Channels in the whole cluster. */
  Future<Integer> count() {
    return channels.size();
  }

  // ---- pending (unacknowledged) messages ------------------------------------------------------

  /** Appends {@code message} (replacing one with the same message_id); returns how many old ones were evicted. */
  Future<Integer> enqueue(String ref, JsonObject message) {
    return pending.update(ref, new Enqueue(message.encode(), maxPending, ttlSeconds));
  }

  /** Removes message {@code mid} from the channel's queue; true when it was there. */
  Future<Boolean> remove(String ref, String mid) {
    return pending.update(ref, new Remove(mid));
  }

  /** The channel's unacknowledged messages, oldest first. */
  Future<List<JsonObject>> pending(String ref) {
    return pending.get(ref).map(v -> {
      List<JsonObject> list = new ArrayList<>();
      if (v != null) new JsonArray(v).forEach(o -> list.add((JsonObject) o));
      return list;
    });
  }

  // ---- updates (run where the channel's entry lives and, identically, on its backup) ----------

  /** Resets the channel's expiry; creates it from {@code createWith} when missing (if given). Returns the JSON or null. */
  static final class Touch implements KeyedState.Update<String, String> {
    private final long ttl;
    private final String createWith;

    Touch(long ttl, String createWith) {
      this.ttl = ttl;
      this.createWith = createWith;
    }

    @Override
    public String apply(KeyedState.Entry<String> entry) {
      String v = entry.getValue();
      if (v == null && createWith == null) return null;
      if (v == null) v = createWith;
      entry.setValue(v, ttl);
      return v;
    }
  }

  /** Appends a message to the channel's bounded queue, evicting the oldest beyond {@code max}. */
  static final class Enqueue implements KeyedState.Update<String, Integer> {
    private final String message;
    private final int max;
    private final long ttl;

    Enqueue(String message, int max, long ttl) {
      this.message = message;
      this.max = max;
      this.ttl = ttl;
    }

    @Override
    public Integer apply(KeyedState.Entry<String> entry) {
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
      entry.setValue(queue.encode(), ttl);
      return evicted;
    }
  }

  /** Removes one message by message_id; deletes the entry when the queue becomes empty. */
  static final class Remove implements KeyedState.Update<String, Boolean> {
    private final String mid;

    Remove(String mid) {
      this.mid = mid;
    }

    @Override
    public Boolean apply(KeyedState.Entry<String> entry) {
      if (entry.getValue() == null) return false;
      JsonArray queue = new JsonArray(entry.getValue());
      for (int i = 0; i < queue.size(); i++) {
        if (mid.equals(queue.getJsonObject(i).getString("mid"))) {
          queue.remove(i);
          if (queue.isEmpty()) entry.setValue(null);
          else entry.setValueKeepingExpiry(queue.encode());
          return true;
        }
      }
      return false;
    }
  }
}
