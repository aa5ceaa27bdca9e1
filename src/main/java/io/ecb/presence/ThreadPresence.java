package io.ecb.presence;

import io.ecb.delivery.Fanout;
import io.ecb.delivery.Publisher;
import io.ecb.delivery.Streams;
import io.ecb.engine.Presence;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Presence per thread: a member is online while at least one of their connections, on any node
 * and over any transport, follows the thread. Every transport follows streams through the node's
 * {@link Fanout}, which tells this class of a user's first follow of a thread on this node and of
 * their last one going away; {@link Presence} turns those into cluster-wide changes, and each
 * change goes to the thread's followers as {@code {kind: "presence", threadId, userId, online}},
 * unnumbered and not stored, as typing is. A node that dies is taken out by the others
 * ({@link Presence#onDeparted}).
 *
 * <p>One user's changes in one thread reach the cluster in the order they happened on this node,
 * so a quick follow and unfollow cannot leave the user online.
 */
public final class ThreadPresence implements Fanout.FollowListener {

  private static final Logger LOG = Logger.getLogger(ThreadPresence.class.getName());
  private static final String PREFIX = Streams.THREAD + ":";

  private final Presence presence;
  private final Publisher publisher;
  /** threadId + '\n' + userId → the last change queued for it, until done; guarded by itself. */
  private final Map<String, Future<Void>> pending = new HashMap<>();

  public ThreadPresence(Presence presence, Publisher publisher, Fanout fanout) {
    this.presence = presence;
    this.publisher = publisher;
    presence.onDeparted((threadId, userId) -> announce(threadId, userId, false));
    fanout.followListener(this);
  }

  /** The users online in {@code threadId}, sorted. */
  public Future<List<String>> online(String threadId) {
    return presence.online(threadId).map(users -> users.stream().sorted().toList());
  }

  @Override
  public boolean watches(String stream) {
    return stream.startsWith(PREFIX);
  }

  @Override
  public void followed(String stream, String userId, Future<Void> ready) {
    String threadId = stream.substring(PREFIX.length());
    // Announced once the follow is in effect cluster-wide, so the new follower hears it too.
    queue(threadId, userId, () -> ready.transform(x -> presence.join(threadId, userId)), true);
  }

  @Override
  public void unfollowed(String stream, String userId) {
    String threadId = stream.substring(PREFIX.length());
    queue(threadId, userId, () -> presence.leave(threadId, userId), false);
  }

  private void queue(String threadId, String userId, Supplier<Future<Boolean>> change, boolean online) {
    String key = threadId + '\n' + userId;
    synchronized (pending) {
      Future<Void> next = pending.getOrDefault(key, Future.succeededFuture()).transform(x -> change.get()).transform(ar -> {
        if (ar.failed()) LOG.log(Level.WARNING, "presence of " + userId + " in thread " + threadId + " not recorded", ar.cause());
        else if (ar.result()) announce(threadId, userId, online);
        return Future.<Void>succeededFuture();
      });
      pending.put(key, next);
      next.onComplete(x -> {
        synchronized (pending) {
          pending.remove(key, next);
        }
      });
    }
  }

  private void announce(String threadId, String userId, boolean online) {
    publisher.publishTransient(Streams.thread(threadId), new JsonObject()
      .put("kind", "presence").put("threadId", threadId).put("userId", userId).put("online", online));
  }
}
