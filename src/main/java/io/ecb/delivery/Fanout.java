package io.ecb.delivery;

import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Delivers stream payloads to the connections of this node. There is one event-bus consumer per
 * stream per node, whatever the number of connections following it; each payload is encoded once
 * per wire format ({@link Delivery}) and the same bytes go to every connection.
 *
 * <p>The consumer also puts each stream back in offset order: payloads published from different
 * nodes can arrive out of order, and one can be missing when its publisher died between storing
 * it and publishing it. An early payload waits briefly for the gap to fill; then the gap is read
 * from the stream's history ({@link StreamLog}), so connections get every stored payload, once, in
 * order.
 *
 * <p>{@link StreamFanout} is a stream's consumer and puts it in order; {@link LoopDelivery} hands
 * the payloads to the event loops that own the connections.
 */
public final class Fanout {

  /**
   * Told when a user's first follow of a stream on this node appears and when their last one goes
   * away, for the streams it {@link #watches}; called under the fanout's lock, so it must only
   * hand the change on.
   */
  public interface FollowListener {
    boolean watches(String stream);

    /** {@code ready} completes once the follow is in effect cluster-wide. */
    void followed(String stream, String userId, Future<Void> ready);

    void unfollowed(String stream, String userId);
  }

  final Vertx vertx;
  final StreamLog log;
  private volatile FollowListener follows;
  /** The last {@link StreamFanout.Follower#order()} given; under the lock on {@code streams}. */
  private long lastFollow;
  final long gapWaitMs;
  private final Map<String, StreamFanout> streams = new ConcurrentHashMap<>();

  public final LongAdder delivered = new LongAdder();
  public final LongAdder gapsFilled = new LongAdder();
  public final LongAdder lost = new LongAdder();
  final LoopDelivery loops;

  public Fanout(Vertx vertx, StreamLog log, long gapWaitMs) {
    this(vertx, log, gapWaitMs, 0, Integer.MAX_VALUE);
  }

  /** With payloads of busy streams to at least {@code lingerFollowers} on a loop waiting up to {@code lingerMs} for company. */
  public Fanout(Vertx vertx, StreamLog log, long gapWaitMs, long lingerMs, int lingerFollowers) {
    this.vertx = vertx;
    this.log = log;
    this.gapWaitMs = gapWaitMs;
    this.loops = new LoopDelivery(delivered, new LoopDelivery.Linger(lingerMs, lingerFollowers));
  }

  /** Sets the one listener told of users' first and last follows (presence). */
  public void followListener(FollowListener listener) {
    this.follows = listener;
  }

  /**
   * Adds a follower, known as {@code userId} (payloads aimed at one user of a stream reach only
   * that user's connections); completes once the stream's consumer is registered cluster-wide.
   */
  public Future<Void> subscribe(String stream, String userId, Connection subscriber) {
    synchronized (streams) {
      StreamFanout f = streams.computeIfAbsent(stream, s -> new StreamFanout(this, s));
      String user = userId == null ? "" : userId;
      StreamFanout.Follower was = f.subscribers.get(subscriber);
      f.subscribers.put(subscriber, new StreamFanout.Follower(user, was != null ? was.order() : ++lastFollow));
      f.version.incrementAndGet();
      String before = was == null ? null : was.user();
      if (!user.equals(before)) {
        if (before != null) counted(f, before, -1);
        counted(f, user, 1);
      }
      return f.ready;
    }
  }

  public void unsubscribe(String stream, Connection subscriber) {
    synchronized (streams) {
      StreamFanout f = streams.get(stream);
      if (f == null) return;
      StreamFanout.Follower was = f.subscribers.remove(subscriber);
      f.version.incrementAndGet();
      if (was != null) counted(f, was.user(), -1);
      if (f.subscribers.isEmpty()) {
        streams.remove(stream);
        f.consumer.unregister();
      }
    }
  }

  /** Keeps the count of each user's follows of a watched stream; tells the listener of a first and a last. Under the lock. */
  private void counted(StreamFanout f, String userId, int delta) {
    FollowListener listener = follows;
    if (listener == null || userId.isEmpty() || !listener.watches(f.stream)) return;
    int n = f.users.merge(userId, delta, Integer::sum);
    if (n <= 0) f.users.remove(userId);
    if (delta > 0 && n == 1) listener.followed(f.stream, userId, f.ready);
    else if (delta < 0 && n == 0) listener.unfollowed(f.stream, userId);
  }

  /** Number of streams this node follows. */
  public int streamCount() {
    return streams.size();
  }

  public int subscriptionCount() {
    int n = 0;
    for (StreamFanout f : streams.values()) n += f.subscribers.size();
    return n;
  }

  public int localSubscribers(String stream) {
    StreamFanout f = streams.get(stream);
    return f == null ? 0 : f.subscribers.size();
  }

  /**
   * A payload this node has just stored with its offset: delivered to the stream's followers here,
   * in offset order, as its event-bus copy would be. That copy, arriving later, finds the offset
   * delivered and is dropped. The followers owned by this thread's event loop are written on this
   * thread once {@code meanwhile} (the publish to the other nodes) has run, rather than behind
   * whatever the loop does next (for a publish request, its HTTP response).
   */
  public void deliverStored(String stream, Buffer payload, long offset, String epoch, Runnable meanwhile) {
    StreamFanout f = streams.get(stream);
    if (f == null) {
      meanwhile.run();
      return;
    }
    loops.deliverHere(() -> {
      f.numbered(new Delivery(stream, Streams.address(stream), payload, offset, epoch));
      meanwhile.run();
    });
  }

  /**
   * Delivers an unnumbered payload now to this node's followers of the streams {@code accept}
   * matches (only those following as {@code userId} when it is not null), each follower at most
   * once even when it follows several of those streams; returns how many it reached.
   */
  public int deliverLocal(Predicate<String> accept, String userId, Buffer payload) {
    Set<Connection> reached = Collections.newSetFromMap(new IdentityHashMap<>());
    LoopDelivery.Handover handover = loops.new Handover();
    int n = 0;
    for (StreamFanout f : streams.values()) {
      if (!accept.test(f.stream)) continue;
      Delivery d = new Delivery(f.stream, Streams.address(f.stream), payload, 0, null);
      for (Map.Entry<Connection, StreamFanout.Follower> e : f.subscribers.entrySet()) {
        if (userId != null && !userId.equals(e.getValue().user()) || !reached.add(e.getKey())) continue;
        handover.deliver(e.getKey(), d);
        n++;
      }
    }
    handover.flush();
    return n;
  }
}
