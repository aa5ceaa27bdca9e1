package io.ecb.delivery;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The delivery half of {@link Fanout}: hands payloads to followers on the event loops that own
 * them, one task per loop rather than one per connection, batching what piles up while a loop is
 * busy.
 */
final class LoopDelivery {

  private static final Logger LOG = Logger.getLogger(Fanout.class.getName());

  private final LongAdder delivered;
  private final Linger linger;

  LoopDelivery(LongAdder delivered, Linger linger) {
    this.delivered = delivered;
    this.linger = linger;
  }

  /** While {@link #deliverHere} runs on this thread: the groups of this loop whose payloads it writes out after. */
  private final ThreadLocal<List<LoopGroup>> dueHere = new ThreadLocal<>();

  /**
   * Runs {@code offers}, then writes out at once, on this thread, what they queued for followers
   * owned by this thread's event loop, instead of queueing that behind whatever the loop does
   * next (for a publish request: its HTTP response and a turn of the loop, a quarter of a
   * millisecond before the first socket). Other loops' followers are handed over as always.
   */
  void deliverHere(Runnable offers) {
    List<LoopGroup> due = new ArrayList<>(1);
    dueHere.set(due);
    try {
      offers.run();
    } finally {
      // Even when an offer or the publish failed: a group left out would wait for a drain forever.
      dueHere.remove();
      for (LoopGroup g : due) g.drain();
    }
  }

  /**
   * Queues the rest of the current {@link #deliverHere}'s payloads on their loops like any other:
   * called when a stream replaces its groups, whose payloads must reach a follower after those
   * the replaced groups still have queued.
   */
  void queueFromNow() {
    dueHere.remove();
  }

  /**
   * How long at most the first of a busy stream's payloads may wait for the next before a large
   * group's loop writes them out, and from how many followers on one loop that pays. Fan-out's
   * cost is one write per socket per batch: at 100 payloads a second to 1,000 sockets, pairing
   * payloads halves the writes, where a batch forming on its own (payloads piling up while the
   * loop writes the previous one) starts only once the loop is nearly saturated. A payload waits
   * only while the stream's payloads come less than {@code millis} apart on average, and for a
   * quarter more than that average, so a quiet stream, and every small group (a chat thread's
   * few members), is written at once.
   */
  record Linger(long millis, int followers) {
  }

  /**
   * Delivers to followers: now for those owned by the current event loop (or by none), and in one
   * task per other event loop for the rest, so every write happens on the loop that owns its
   * connection, in order, without one cross-thread task per connection.
   */
  final class Handover {
    private final Context here = loopOf(Vertx.currentContext());
    private Map<Context, List<Handed>> later;

    void deliver(Connection s, Delivery d) {
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

  private record Handed(Connection subscriber, Delivery delivery) {
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
   * gets them in one write ({@link DeliveryBatch}). A payload that arrives when the loop is free
   * is written at once, unless the group is large and its stream busy ({@link Linger}).
   */
  final class LoopGroup {
    final Context loop;
    final Connection[] subscribers;
    final String[] users;
    /** Guarded by this group's lock: the stream's consumer adds, the loop's task takes. */
    private List<Pending> pending = new ArrayList<>();
    private boolean drainScheduled;
    /** Whether payloads may wait for company here: a large group, with lingering on. */
    private final long lingerNanos;
    /** When the previous payload was offered, and the average gap between payloads (under the lock). */
    private long lastOffer;
    private long gapNanos = Long.MAX_VALUE;

    LoopGroup(Context loop, List<Map.Entry<Connection, StreamFanout.Follower>> members) {
      this.loop = loop;
      this.subscribers = new Connection[members.size()];
      this.users = new String[members.size()];
      for (int i = 0; i < subscribers.length; i++) {
        subscribers[i] = members.get(i).getKey();
        users[i] = members.get(i).getValue().user();
      }
      lingerNanos = loop != null && linger.millis() > 0 && subscribers.length >= linger.followers()
        ? TimeUnit.MILLISECONDS.toNanos(linger.millis()) : 0;
    }

    /** Queues a payload for this loop's followers (all, or only {@code onlyUser}'s). */
    void offer(Delivery d, String onlyUser) {
      if (loop == null) {
        deliver(d, onlyUser);
        return;
      }
      long wait;
      synchronized (this) {
        pending.add(new Pending(d, onlyUser));
        wait = lingerNanos > 0 ? waitNanos() : 0;
        if (drainScheduled) return;
        drainScheduled = true;
      }
      List<LoopGroup> due;
      if (wait > 0) {
        ((ContextInternal) loop).nettyEventLoop().schedule(this::drainSoon, wait, TimeUnit.NANOSECONDS);
      } else if ((due = dueHere.get()) != null && ((ContextInternal) loop).nettyEventLoop().inEventLoop()) {
        due.add(this);
      } else {
        drainSoon();
      }
    }

    /**
     * How long a payload offered now may wait for the next: a quarter more than the average gap
     * between the stream's payloads (which follows a change of rate within a few payloads) when
     * that is under the linger, so the wait catches one more payload and adds at most that to its
     * latency; else 0. Under the lock.
     */
    private long waitNanos() {
      long now = System.nanoTime();
      if (lastOffer != 0) {
        long gap = now - lastOffer;
        gapNanos = gapNanos == Long.MAX_VALUE ? gap : gapNanos - (gapNanos >> 2) + (gap >> 2);
      }
      lastOffer = now;
      return gapNanos < lingerNanos ? Math.min(lingerNanos, gapNanos + (gapNanos >> 2)) : 0;
    }

    /**
     * Writes out what waits now, ahead of anything queued on the loop after this call: a group
     * replaced after a change of followers does this, so that a payload lingering here cannot
     * reach a connection after a later one given to the group that replaces it.
     */
    void flush() {
      if (lingerNanos == 0) return;
      synchronized (this) {
        if (pending.isEmpty()) return;
      }
      drainSoon();
    }

    /** Queues the task that writes out what waits, on the loop's context. */
    private void drainSoon() {
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
      int written = 0;
      for (Connection s : subscribers) if (deliverNow(s, batch)) written++;
      delivered.add((long) written * batch.size());
    }
  }

  private record Pending(Delivery delivery, String onlyUser) {
  }

  private void deliverNow(Connection s, Delivery d) {
    try {
      s.deliver(d);
      delivered.increment();
    } catch (RuntimeException ex) {
      LOG.log(Level.WARNING, "delivery to a connection failed", ex);
    }
  }

  private static boolean deliverNow(Connection s, DeliveryBatch batch) {
    try {
      s.deliver(batch);
      return true;
    } catch (RuntimeException ex) {
      LOG.log(Level.WARNING, "delivery to a connection failed", ex);
      return false;
    }
  }

  /** The followers by event loop, each loop's in the order they followed ({@link StreamFanout.Follower}). */
  LoopGroup[] group(Map<Connection, StreamFanout.Follower> subscribers) {
    Map<Context, List<Map.Entry<Connection, StreamFanout.Follower>>> byLoop = new HashMap<>();
    for (Map.Entry<Connection, StreamFanout.Follower> e : subscribers.entrySet()) {
      byLoop.computeIfAbsent(loopOf(e.getKey().context()), c -> new ArrayList<>()).add(Map.entry(e.getKey(), e.getValue()));
    }
    List<LoopGroup> groups = new ArrayList<>();
    byLoop.forEach((loop, members) -> {
      members.sort(Comparator.comparingLong(m -> m.getValue().order()));
      groups.add(new LoopGroup(loop, members));
    });
    return groups.toArray(new LoopGroup[0]);
  }
}
