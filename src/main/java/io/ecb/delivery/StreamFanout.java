package io.ecb.delivery;

import io.ecb.engine.StreamLog;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ordering half of {@link Fanout}: this node's one event-bus consumer of a stream, its
 * followers, and the stream put back in offset order (an early payload waits for the gap to fill,
 * then the gap is read from {@link StreamLog}) before {@link LoopDelivery} hands it out.
 */
final class StreamFanout {

  /**
   * A follower's user ({@code ""} for none) and its place in the node's order of follows, by
   * which the fan-out writes to it: connections that followed one after another were mostly
   * accepted one after another too, so their objects tend to lie near one another in memory: a
   * fan-out to 1,000 sockets walking them in that order rather than in hash order spent about 7%
   * less CPU per delivery, and its last socket had its frame 0.4-1.4 ms sooner
   * (src/bench/README.md, sixteenth set).
   */
  record Follower(String user, long order) {
  }

  private final Fanout fanout;
  private final Vertx vertx;
  private final StreamLog log;
  final String stream;
  /** Who follows the stream, as which user, and when in this node's order of follows. */
  final Map<Connection, Follower> subscribers = new ConcurrentHashMap<>();
  /** userId → how many of its followers follow as that user, for a stream a {@link Fanout.FollowListener} watches; under the fanout's lock. */
  final Map<String, Integer> users = new HashMap<>();
  /** Bumped after every change to {@link #subscribers}; {@link #groups} is rebuilt when it moves. */
  final AtomicInteger version = new AtomicInteger();
  private LoopDelivery.LoopGroup[] groups = new LoopDelivery.LoopGroup[0];
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

  StreamFanout(Fanout fanout, String stream) {
    this.fanout = fanout;
    this.vertx = fanout.vertx;
    this.log = fanout.log;
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
    numbered(new Delivery(stream, m.address(), m.body(), Long.parseLong(offsetHeader), m.headers().get("epoch")));
  }

  /** A stored payload, from the event bus or from this node's publisher, whichever comes first. */
  synchronized void numbered(Delivery d) {
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
      if (gapTimer < 0) gapTimer = vertx.setTimer(fanout.gapWaitMs, id -> fillGap());
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
        if (a.offset() != last + 1) continue;
        // A payload whose live copy is held already did not go missing: only the others count as filled.
        Delivery live = early.remove(a.offset());
        dispatch(live != null ? live : new Delivery(stream, Streams.address(stream), Buffer.buffer(a.json()), a.offset(), a.epoch()));
        last = a.offset();
        if (live == null) fanout.gapsFilled.increment();
      }
    }
    if (!early.isEmpty() && early.firstKey() > last + 1) {
      // History no longer holds the gap: skip it; clients see the jump and reload.
      fanout.lost.add(early.firstKey() - last - 1);
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
      fanout.loops.queueFromNow();
      for (LoopDelivery.LoopGroup g : groups) g.flush();
      // Read after the version: every change counted in v is in the map.
      groups = fanout.loops.group(subscribers);
      groupsVersion = v;
    }
    for (LoopDelivery.LoopGroup g : groups) g.offer(d, onlyUser);
  }
}
