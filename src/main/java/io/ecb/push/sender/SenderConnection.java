package io.ecb.push.sender;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * One authenticated client connection to a channel (a WebSocket or an SSE stream), with the
 * channel's at-least-once delivery on this node.
 *
 * <p>Life: {@link #start} (after the secret was verified) makes sure the channel exists, listens on
 * the channel's event-bus address {@code ecb.sender.<ref>} (the address every node publishes the
 * channel's messages and control events to), tells {@link #connected()} the transport, asks every
 * older connection of the channel, on any node, to step down (3009), and sends what is waiting in
 * the channel's Hazelcast queue. From then on each message is sent and, until acked, redelivered
 * with backoff (first after initialRedeliveryMs, doubled, capped at maxRedeliveryMs, at most
 * maxRedeliveries times; then dropped). Messages stay in the Hazelcast queue until acked, so a
 * connection that drops loses nothing: the next one, on any node, sends them again.
 *
 * <p>Everything runs on the connection's own event-loop context (the transport's handlers, the
 * consumer, the timers and the store's futures), so the state needs no locking.
 */
abstract class SenderConnection {

  private static final Logger LOG = Logger.getLogger(SenderConnection.class.getName());
  /**
   * When the first repair runs after the connection goes live. Its consumer is registered, but a
   * node learns of a new registration from a cluster event (Vert.x batches them every 20 ms), so
   * for a moment a publish, even on this node, may still go only to the channel's previous
   * listeners; the message is queued in Hazelcast all the same, and the repair sends it.
   */
  private static final long FIRST_RESYNC_MS = 250;
  /** Acked ids kept whatever the reads, against a message's event arriving after a read sent it. */
  private static final int RECENT_ACKS = 32;

  /** Close reasons of the protocol (the WebSocket close reason text). */
  static final String NORMAL = "3000";
  static final String BAD_REQUEST = "3006";
  static final String BAD_SECRET = "3008";
  static final String REPLACED = "3009";
  static final String RETRY_LATER = "3050";

  /** An acked message: how many queue reads had started when its removal was asked for, and whether that removal is done. */
  private static final class Acked {
    final long readsBefore;
    boolean removed;

    Acked(long readsBefore) {
      this.readsBefore = readsBefore;
    }
  }

  /** A sent message awaiting its Ack. */
  private static final class InFlight {
    final JsonObject message;
    final boolean stored; // false for local-only messages (token refresh), not in the Hazelcast queue
    int redeliveries;
    long delayMs;
    long timer = -1;

    InFlight(JsonObject message, boolean stored, long delayMs) {
      this.message = message;
      this.stored = stored;
      this.delayMs = delayMs;
    }
  }

  protected final ChannelSenderProfile profile;
  protected final Vertx vertx;
  /** The event loop the connection's transport runs on; all its state is touched only there. */
  final Context context;
  final String ref;
  final String id = UUID.randomUUID().toString();
  private final Map<String, InFlight> inFlight = new LinkedHashMap<>();
  /**
   * Acked message ids, oldest first, not to be sent again: kept until a read of the queue that
   * started after their removal was asked for has answered (an earlier read may still list them,
   * and its answer can come after the removal's, as Hazelcast answers on more than one thread),
   * and the last {@link #RECENT_ACKS} of them always (a message's event can arrive after a read
   * sent it).
   */
  private final Map<String, Acked> acked = new LinkedHashMap<>();
  /** Queue reads started by {@link #resync()}, and the newest whose answer was used. */
  private long readsStarted;
  private long readUsed;
  private ChannelSecrets.Claims claims;
  private long connectedAt;
  private MessageConsumer<JsonObject> consumer;
  private long resyncTimer = -1;
  private long touchTimer = -1;
  private long refreshTimer = -1;
  protected boolean live;
  protected boolean closed;

  SenderConnection(ChannelSenderProfile profile, String ref) {
    this.profile = profile;
    this.vertx = profile.vertx;
    this.context = vertx.getOrCreateContext();
    this.ref = ref;
  }

  // ---- transport ---------------------------------------------------------------------------

  /** Writes one server frame (a JSON array) to the client. */
  protected abstract Future<Void> write(JsonArray frame);

  /** True when the transport's outbound queue is full: the client cannot keep up. */
  protected abstract boolean writeQueueFull();

  /** The connection is ready (AuthOk for WebSocket, response headers for SSE). */
  protected abstract void connected();

  /** Closes the transport with a protocol reason (NORMAL, REPLACED, RETRY_LATER, ...). */
  protected abstract void closeTransport(String reason);

  /** True when messages count as acked once written (SSE, whose clients cannot send acks). */
  protected abstract boolean autoAck();

  // ---- life cycle --------------------------------------------------------------------------

  /** Starts delivery for a verified secret; fails (the caller then answers 3050) when the cluster is unavailable. */
  final Future<Void> start(ChannelSecrets.Claims verified) {
    this.claims = verified;
    return profile.store.ensure(ref, verified.app(), verified.user()).compose(channel -> {
      if (closed) return Future.failedFuture("closed");
      consumer = vertx.eventBus().consumer(ChannelSenderProfile.address(ref), m -> onEvent(m.body()));
      return consumer.completion();
    }).onSuccess(v -> {
      if (closed) {
        consumer.unregister();
        return;
      }
      live = true;
      connectedAt = System.currentTimeMillis();
      profile.connections.add(this);
      connected();
      // The newest connection wins: older ones on any node close with 3009.
      vertx.eventBus().publish(ChannelSenderProfile.address(ref),
        new JsonObject().put("type", "replace").put("conn", id).put("at", connectedAt));
      resync();
      SenderConfig c = profile.config;
      resyncTimer = vertx.setPeriodic(Math.min(FIRST_RESYNC_MS, c.resyncMs()), c.resyncMs(), t -> resync());
      touchTimer = vertx.setPeriodic(Math.max(1000, c.channelTtlSeconds() * 250), t -> profile.store.touch(ref));
      long refreshEvery = Math.max(1000, c.maxAgeSeconds() * 1000 / 6);
      refreshTimer = vertx.setPeriodic(refreshEvery, t -> refreshSecret());
    });
  }

  /** Stops delivery on this connection (messages not acked stay queued in Hazelcast) and closes the transport. */
  final void close(String reason) {
    if (closed) return;
    closed = true;
    stop();
    closeTransport(reason);
  }

  /** The transport is gone: stop timers and listening. Idempotent. */
  final void stop() {
    closed = true;
    live = false;
    profile.connections.remove(this);
    for (long t : new long[]{resyncTimer, touchTimer, refreshTimer}) {
      if (t >= 0) vertx.cancelTimer(t);
    }
    for (InFlight f : inFlight.values()) {
      if (f.timer >= 0) vertx.cancelTimer(f.timer);
    }
    inFlight.clear();
    if (consumer != null) consumer.unregister();
  }

  /** An event on the channel's address: a message, a newer connection, or the channel's deletion. */
  private void onEvent(JsonObject event) {
    if (!live) return;
    switch (event.getString("type", "")) {
      case "msg" -> deliver(event.getJsonObject("msg"), true);
      case "replace" -> {
        String other = event.getString("conn");
        long at = event.getLong("at", 0L);
        boolean newer = at > connectedAt || at == connectedAt && other.compareTo(id) > 0;
        if (!other.equals(id) && newer) close(REPLACED);
      }
      case "delete" -> close(NORMAL);
      default -> LOG.fine("unknown channel event " + event.getString("type"));
    }
  }

  /** Sends what is in the channel's queue and not already in flight here (also repairs any race with a delivery). */
  private void resync() {
    long read = ++readsStarted;
    profile.store.pending(ref).onSuccess(list -> {
      if (read < readUsed) return; // a newer read has answered already
      readUsed = read;
      forgetAcked(read);
      for (JsonObject m : list) deliver(m, true);
    }).onFailure(e -> LOG.fine("pending read failed for " + ref + ": " + e));
  }

  /** Drops the oldest acked ids beyond {@link #RECENT_ACKS} that the answer of queue read {@code read} no longer lists. */
  private void forgetAcked(long read) {
    int excess = acked.size() - RECENT_ACKS;
    for (var it = acked.values().iterator(); excess > 0 && it.hasNext(); ) {
      Acked a = it.next();
      if (a.removed && a.readsBefore < read) {
        it.remove();
        excess--;
      }
    }
  }

  // ---- delivery ----------------------------------------------------------------------------

  /** Sends {@code m} ({@code {mid, cid, event, data}}) unless it is already awaiting its ack here. */
  final void deliver(JsonObject m, boolean stored) {
    String mid = m.getString("mid");
    if (!live || inFlight.containsKey(mid) || acked.containsKey(mid)) return;
    InFlight f = new InFlight(m, stored, profile.config.initialRedeliveryMs());
    inFlight.put(mid, f);
    if (inFlight.size() > profile.config.maxPending()) {
      // Bounded like the queue: the oldest unacked message stops being redelivered here.
      var oldest = inFlight.entrySet().iterator();
      InFlight dropped = oldest.next().getValue();
      if (dropped.timer >= 0) vertx.cancelTimer(dropped.timer);
      oldest.remove();
    }
    if (!send(m)) return;
    if (autoAck()) return; // acked in send() once written
    f.timer = vertx.setTimer(f.delayMs, t -> redeliver(mid));
  }

  private void redeliver(String mid) {
    InFlight f = inFlight.get(mid);
    if (f == null || !live) return;
    if (f.redeliveries >= profile.config.maxRedeliveries()) {
      // Given up: dropped here and from the queue, as the original does after max_unacknowledged_retries.
      inFlight.remove(mid);
      if (f.stored) profile.store.remove(ref, mid);
      LOG.fine("message " + mid + " on channel " + ref + " dropped after " + f.redeliveries + " redeliveries");
      return;
    }
    f.redeliveries++;
    if (!send(f.message)) return;
    f.delayMs = Math.min(f.delayMs * 2, profile.config.maxRedeliveryMs());
    f.timer = vertx.setTimer(f.delayMs, t -> redeliver(mid));
  }

  /** Writes the message frame; false when the connection was closed because the client cannot keep up. */
  private boolean send(JsonObject m) {
    if (writeQueueFull()) {
      close(RETRY_LATER);
      return false;
    }
    String mid = m.getString("mid");
    Future<Void> written = write(new JsonArray().add(mid).add(m.getString("cid", "")).add(m.getString("event")).add(m.getValue("data")));
    if (autoAck()) written.onSuccess(v -> ack(mid));
    return true;
  }

  /** The client acknowledged {@code mid}: stop redelivering it and remove it from the Hazelcast queue. */
  final void ack(String mid) {
    InFlight f = inFlight.remove(mid);
    if (f != null && f.timer >= 0) vertx.cancelTimer(f.timer);
    if (f != null && !f.stored) return;
    // Acks for messages sent by an earlier connection are honoured too: the id is removed from the queue.
    Acked a = new Acked(readsStarted);
    acked.put(mid, a);
    profile.store.remove(ref, mid).onComplete(ar -> {
      if (ar.succeeded()) a.removed = true;
      else acked.remove(mid, a); // still queued: the next read sends it again
    });
  }

  /**
   * Token refresh as in the original: when less than 40 % of the secret's life is left, a
   * {@code :n_token} message carrying a new secret is delivered (and must be acked); the client
   * uses it for its next connection.
   */
  private void refreshSecret() {
    long left = claims.exp() - System.currentTimeMillis();
    if (left >= profile.secrets().maxAgeMs() * 0.4) return;
    String fresh = profile.secrets().issue(ref, claims.app(), claims.user());
    claims = new ChannelSecrets.Claims(ref, claims.app(), claims.user(), Long.parseLong(fresh.substring(0, fresh.indexOf(':'))));
    deliver(new JsonObject().put("mid", UUID.randomUUID().toString()).put("cid", "").put("event", ":n_token").put("data", fresh), false);
  }
}
