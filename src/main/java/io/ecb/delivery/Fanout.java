package io.ecb.delivery;

import io.ecb.engine.StreamLog;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

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
 */
public final class Fanout {

  private static final Logger LOG = Logger.getLogger(Fanout.class.getName());

  /** A connection following streams. {@code deliver} is called from any thread and must not block. */
  public interface Subscriber {
    void deliver(Delivery delivery);

    /**
     * Several payloads of one stream at once, in order. Connections that can write them in one go
     * override this; by default each is delivered in turn.
     */
    default void deliver(DeliveryBatch batch) {
      for (Delivery d : batch.deliveries()) deliver(d);
    }

    /**
     * The event loop that owns this connection, or null. A follower that names one is always
     * called on it; deliveries to the followers of one event loop are handed over in one task.
     */
    default Context context() {
      return null;
    }
  }

  private final Vertx vertx;
  private final StreamLog log;
  private final long gapWaitMs;
  private final Map<String, StreamFanout> streams = new ConcurrentHashMap<>();

  public final LongAdder delivered = new LongAdder();
  public final LongAdder gapsFilled = new LongAdder();
  public final LongAdder lost = new LongAdder();

  public Fanout(Vertx vertx, StreamLog log, long gapWaitMs) {
    this.vertx = vertx;
    this.log = log;
    this.gapWaitMs = gapWaitMs;
  }

  /**
   * Adds a follower, known as {@code userId} (payloads aimed at one user of a stream reach only
   * that user's connections); completes once the stream's consumer is registered cluster-wide.
   */
  public Future<Void> subscribe(String stream, String userId, Subscriber subscriber) {
    synchronized (streams) {
      StreamFanout f = streams.computeIfAbsent(stream, StreamFanout::new);
      f.subscribers.put(subscriber, userId == null ? "" : userId);
      f.version.incrementAndGet();
      return f.ready;
    }
  }

  public void unsubscribe(String stream, Subscriber subscriber) {
    synchronized (streams) {
      StreamFanout f = streams.get(stream);
      if (f == null) return;
      f.subscribers.remove(subscriber);
      f.version.incrementAndGet();
      if (f.subscribers.isEmpty()) {
        streams.remove(stream);
        f.consumer.unregister();
      }
    }
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
   * Delivers an unnumbered payload now to this node's followers of the streams {@code accept}
   * matches (only those following as {@code userId} when it is not null), each follower at most
   * once even when it follows several of those streams; returns how many it reached.
   */
  public int deliverLocal(Predicate<String> accept, String userId, Buffer payload) {
    Set<Subscriber> reached = Collections.newSetFromMap(new IdentityHashMap<>());
    Handover handover = new Handover();
    int n = 0;
    for (StreamFanout f : streams.values()) {
      if (!accept.test(f.stream)) continue;
      Delivery d = new Delivery(f.stream, Streams.address(f.stream), payload, 0, null);
      for (Map.Entry<Subscriber, String> e : f.subscribers.entrySet()) {
        if (userId != null && !userId.equals(e.getValue()) || !reached.add(e.getKey())) continue;
        handover.deliver(e.getKey(), d);
        n++;
      }
    }
    handover.flush();
    return n;
  }

  /**
   * Delivers to followers: now for those owned by the current event loop (or by none), and in one
   * task per other event loop for the rest, so every write happens on the loop that owns its
   * connection, in order, without one cross-thread task per connection.
   */
  private final class Handover {
    private final Context here = loopOf(Vertx.currentContext());
    private Map<Context, List<Handed>> later;

    void deliver(Subscriber s, Delivery d) {
      Context owner = loopOf(s.context());
      if (owner == null || owner == here) {
        deliverNow(s, d);
        return;
      }
      if (later == null) later = new HashMap<>(4);
      later.computeIfAbsent(owner, c -> new ArrayList<>()).add(new Handed(s, d));
    }

    void flush() {
      if (later == null) return;
      later.forEach((owner, handed) -> owner.runOnContext(v -> handed.forEach(p -> deliverNow(p.subscriber(), p.delivery()))));
    }
  }

  private record Handed(Subscriber subscriber, Delivery delivery) {
  }

  /**
   * The event loop's own context for {@code context}: a connection's handlers run on a duplicate of
   * it (one per request), and grouping by the duplicate would make one task per connection.
   */
  static Context loopOf(Context context) {
    return context instanceof ContextInternal c ? c.unwrap() : context;
  }

  /**
   * The followers of one stream owned by one event loop (or by none), as arrays for the hot loop,
   * and the payloads waiting for that loop. Payloads are queued and written out by one task: when
   * they come faster than the loop writes them, the next task finds several and each connection
   * gets them in one write ({@link DeliveryBatch}). Nothing waits for a batch to fill: a payload
   * that arrives when the loop is free is written at once.
   */
  private final class LoopGroup {
    final Context loop;
    final Subscriber[] subscribers;
    final String[] users;
    /** Guarded by this group's lock: the stream's consumer adds, the loop's task takes. */
    private List<Pending> pending = new ArrayList<>();
    private boolean drainScheduled;

    LoopGroup(Context loop, List<Map.Entry<Subscriber, String>> members) {
      this.loop = loop;
      this.subscribers = new Subscriber[members.size()];
      this.users = new String[members.size()];
      for (int i = 0; i < subscribers.length; i++) {
        subscribers[i] = members.get(i).getKey();
        users[i] = members.get(i).getValue();
      }
    }

    /** Queues a payload for this loop's followers (all, or only {@code onlyUser}'s). */
    void offer(Delivery d, String onlyUser) {
      if (loop == null) {
        deliver(d, onlyUser);
        return;
      }
      synchronized (this) {
        pending.add(new Pending(d, onlyUser));
        if (drainScheduled) return;
        drainScheduled = true;
      }
      loop.runOnContext(v -> drain());
    }

    private void drain() {
      List<Pending> taken;
      synchronized (this) {
        taken = pending;
        pending = new ArrayList<>();
        drainScheduled = false;
      }
      // Runs of payloads for every follower go out as batches; one aimed at a single user goes
      // alone, between them, so each connection still sees the stream in order.
      List<Delivery> run = new ArrayList<>();
      for (Pending p : taken) {
        if (p.onlyUser() == null) {
          run.add(p.delivery());
          continue;
        }
        if (!run.isEmpty()) {
          deliver(new DeliveryBatch(run));
          run = new ArrayList<>();
        }
        deliver(p.delivery(), p.onlyUser());
      }
      if (!run.isEmpty()) deliver(new DeliveryBatch(run));
    }

    private void deliver(Delivery d, String onlyUser) {
      for (int i = 0; i < subscribers.length; i++) {
        if (onlyUser == null || onlyUser.equals(users[i])) deliverNow(subscribers[i], d);
      }
    }

    private void deliver(DeliveryBatch batch) {
      for (Subscriber s : subscribers) deliverNow(s, batch);
    }
  }

  private record Pending(Delivery delivery, String onlyUser) {
  }

  private void deliverNow(Subscriber s, Delivery d) {
    try {
      s.deliver(d);
      delivered.increment();
    } catch (RuntimeException ex) {
      LOG.log(Level.WARNING, "delivery to a connection failed", ex);
    }
  }

  private void deliverNow(Subscriber s, DeliveryBatch batch) {
    try {
      s.deliver(batch);
      delivered.add(batch.size());
    } catch (RuntimeException ex) {
      LOG.log(Level.WARNING, "delivery to a connection failed", ex);
    }
  }

  private final class StreamFanout {
    final String stream;
    /** Follower → the userId it follows as. */
    final Map<Subscriber, String> subscribers = new ConcurrentHashMap<>();
    /** Bumped after every change to {@link #subscribers}; {@link #groups} is rebuilt when it moves. */
    final AtomicInteger version = new AtomicInteger();
    private LoopGroup[] groups = new LoopGroup[0];
    private int groupsVersion;
    final MessageConsumer<Buffer> consumer;
    final Future<Void> ready;

    // Ordering state, guarded by this object's lock (uncontended: one consumer thread per stream).
    String epoch;
    long last;
    boolean positioned;
    final List<Delivery> beforePosition = new ArrayList<>();
    final TreeMap<Long, Delivery> early = new TreeMap<>();
    long gapTimer = -1;

    StreamFanout(String stream) {
      this.stream = stream;
      String address = Streams.address(stream);
      this.consumer = vertx.eventBus().<Buffer>consumer(address).handler(this::onMessage);
      // Once registered cluster-wide, read where the stream stands: payloads numbered after that
      // are owed to this node's followers, in order, even if the first to arrive is not the next.
      this.ready = consumer.completion()
        .compose(v -> log.position(stream))
        .onComplete(ar -> position(ar.succeeded() ? ar.result() : null))
        .mapEmpty();
    }

    private synchronized void position(StreamLog.Position p) {
      positioned = true;
      if (p != null) {
        epoch = p.epoch();
        last = p.offset();
      }
      List<Delivery> held = new ArrayList<>(beforePosition);
      beforePosition.clear();
      held.forEach(this::accept);
    }

    synchronized void onMessage(Message<Buffer> m) {
      String offsetHeader = m.headers().get("offset");
      if (offsetHeader == null) {
        dispatch(new Delivery(stream, m.address(), m.body(), 0, null), m.headers().get("userId"));
        return;
      }
      Delivery d = new Delivery(stream, m.address(), m.body(), Long.parseLong(offsetHeader), m.headers().get("epoch"));
      if (!positioned) beforePosition.add(d);
      else accept(d);
    }

    private void accept(Delivery d) {
      long offset = d.offset;
      if (!d.epoch.equals(epoch)) {
        // Unknown position, or the stream's history was lost and restarted: follow the new epoch.
        epoch = d.epoch;
        last = offset - 1;
        early.clear();
        cancelGapTimer();
      }
      if (offset <= last) return; // already delivered (a gap fill raced the live copy)
      if (offset == last + 1) {
        dispatch(d);
        last = offset;
        drainEarly();
      } else {
        early.put(offset, d);
        if (gapTimer < 0) gapTimer = vertx.setTimer(gapWaitMs, id -> fillGap());
      }
    }

    private void drainEarly() {
      while (!early.isEmpty() && early.firstKey() <= last + 1) {
        Delivery d = early.pollFirstEntry().getValue();
        if (d.offset == last + 1) {
          dispatch(d);
          last = d.offset;
        }
      }
      if (early.isEmpty()) cancelGapTimer();
    }

    private synchronized void fillGap() {
      gapTimer = -1;
      if (early.isEmpty()) return;
      String readEpoch = epoch;
      log.read(stream, last, readEpoch).onComplete(ar -> filled(readEpoch, ar));
    }

    private synchronized void filled(String readEpoch, AsyncResult<List<StreamLog.Appended>> ar) {
      if (!readEpoch.equals(epoch)) return;
      if (ar.succeeded()) {
        for (StreamLog.Appended a : ar.result()) {
          if (a.offset() == last + 1) {
            dispatch(new Delivery(stream, Streams.address(stream), Buffer.buffer(a.json()), a.offset(), a.epoch()));
            last = a.offset();
            gapsFilled.increment();
          }
        }
      }
      if (!early.isEmpty() && early.firstKey() > last + 1) {
        // History no longer holds the gap: skip it; clients see the jump and reload.
        lost.add(early.firstKey() - last - 1);
        last = early.firstKey() - 1;
      }
      drainEarly();
    }

    private void cancelGapTimer() {
      if (gapTimer >= 0) {
        vertx.cancelTimer(gapTimer);
        gapTimer = -1;
      }
    }

    private void dispatch(Delivery d) {
      dispatch(d, null);
    }

    /**
     * Hands the payload to every follower (or only to {@code onlyUser}'s), through one queue per
     * event loop. Runs under this object's lock, so the queues get the stream in order; a group
     * replaced after a change of followers has its task queued on the loop before the new one's.
     */
    private void dispatch(Delivery d, String onlyUser) {
      int v = version.get();
      if (v != groupsVersion) {
        // Read after the version: every change counted in v is in the map.
        groups = group(subscribers);
        groupsVersion = v;
      }
      for (LoopGroup g : groups) g.offer(d, onlyUser);
    }
  }

  private LoopGroup[] group(Map<Subscriber, String> subscribers) {
    Map<Context, List<Map.Entry<Subscriber, String>>> byLoop = new HashMap<>();
    for (Map.Entry<Subscriber, String> e : subscribers.entrySet()) {
      byLoop.computeIfAbsent(loopOf(e.getKey().context()), c -> new ArrayList<>()).add(Map.entry(e.getKey(), e.getValue()));
    }
    List<LoopGroup> groups = new ArrayList<>();
    byLoop.forEach((loop, members) -> groups.add(new LoopGroup(loop, members)));
    return groups.toArray(new LoopGroup[0]);
  }
}
