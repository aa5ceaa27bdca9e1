package io.ecb.delivery;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  LoopDelivery(LongAdder delivered) {
    this.delivered = delivered;
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
   * gets them in one write ({@link DeliveryBatch}). Nothing waits for a batch to fill: a payload
   * that arrives when the loop is free is written at once.
   */
  final class LoopGroup {
    final Context loop;
    final Connection[] subscribers;
    final String[] users;
    /** Guarded by this group's lock: the stream's consumer adds, the loop's task takes. */
    private List<Pending> pending = new ArrayList<>();
    private boolean drainScheduled;

    LoopGroup(Context loop, List<Map.Entry<Connection, String>> members) {
      this.loop = loop;
      this.subscribers = new Connection[members.size()];
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

  LoopGroup[] group(Map<Connection, String> subscribers) {
    Map<Context, List<Map.Entry<Connection, String>>> byLoop = new HashMap<>();
    for (Map.Entry<Connection, String> e : subscribers.entrySet()) {
      byLoop.computeIfAbsent(loopOf(e.getKey().context()), c -> new ArrayList<>()).add(Map.entry(e.getKey(), e.getValue()));
    }
    List<LoopGroup> groups = new ArrayList<>();
    byLoop.forEach((loop, members) -> groups.add(new LoopGroup(loop, members)));
    return groups.toArray(new LoopGroup[0]);
  }
}
