package io.ecb.socketio;

import io.ecb.auth.VerifiedUser;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Namespace {@code /chat}: the chat API of SPEC section 3 as Socket.IO events.
 * {@code emit(operation, body, ack)} calls the operation (a thread operation takes its
 * threadToken from the body) and acks the HTTP API's body: the reply, or {@code {error}};
 * {@code subscribe} / {@code unsubscribe} follow stream addresses, whose payloads arrive as events
 * named by their {@code kind}.
 *
 * <p>The userToken comes with the CONNECT and is checked again by every operation, so an expired
 * one answers UNAUTHORIZED; with none, only getUserToken works. Subscriptions use what the CONNECT
 * verified while the token has not expired, without checking its signature again. As on the bridge, a subscribe takes
 * effect cluster-wide before any later event of the socket is handled.
 */
final class ChatNamespace extends Namespace {

  private static final long SUBSCRIBE_TIMEOUT_SECONDS = 10;

  /** The event whose one (string) argument is the socket's checkpoint: what socket.io-client keeps as its offset. */
  static final String OFFSETS_EVENT = "ecb.offsets";

  /** The userToken the CONNECT brought, as it verified it; null without one. */
  private VerifiedUser user;
  private Future<Void> barrier = Future.succeededFuture();

  /** Where the socket stands in a stream it follows: the last offset written to it, and how to follow it again. */
  private static final class Position {
    final String address;
    final String threadToken;
    long offset;
    String epoch;

    Position(String address, String threadToken, long offset, String epoch) {
      this.address = address;
      this.threadToken = threadToken;
      this.offset = offset;
      this.epoch = epoch;
    }
  }

  /** stream → position, for the streams this socket follows. */
  private final Map<String, Position> positions = new HashMap<>(2);
  /** Socket.IO's private session id: a client that reconnects with it (and its offset) is recovered. */
  private String pid;
  /** A position moved, or a stream was followed or left, since the last checkpoint. */
  private boolean dirty;
  /** A payload was written since the sweep last looked: the stream is still flowing. */
  private boolean flowing;
  /** When the last checkpoint went out. */
  private long checkpointAt;
  /**
   * While payloads keep flowing, how often at most a checkpoint goes out: each is a frame to every
   * socket, and one a second would be a twentieth of a busy stream's frames. What arrived after
   * the last checkpoint comes again on a recovery, so this bounds how much does.
   */
  static final long FLOWING_CHECKPOINT_MS = 5_000;
  /** While a recovery is under way, live payloads wait here; null otherwise. */
  private List<Delivery> held;
  /** What the recovery found missed, sent right after the CONNECT answer. */
  private List<Delivery> replay;

  ChatNamespace(EngineSession session) {
    super(session, SocketIoServer.CHAT);
  }

  @Override
  Future<Void> connect(JsonObject auth) {
    Object token = auth.getValue("userToken");
    if (token == null || token instanceof String s && s.isEmpty()) return Future.succeededFuture();
    if (!(token instanceof String s)) return Future.failedFuture(EcbException.unauthorized("userToken must be a string"));
    return here(server.connectUser(session.caller, s)).compose(verified -> {
      user = verified;
      if (auth.getValue("pid") instanceof String clientPid && auth.getValue("offset") instanceof String offsets) {
        return recoverState(clientPid, offsets);
      }
      return Future.succeededFuture();
    });
  }

  /*
   * Connection-state recovery. socket.io-client 4.6+ keeps the last string that ends an event's
   * arguments as its offset, and sends it back with the pid when it reconnects. Stream payloads
   * are built once per node and cannot carry one socket's position, so the socket gets an
   * "ecb.offsets" event whose argument lists every stream it follows with the last offset written
   * to it (and the threadToken to follow it again): about a second after its payloads pause, and
   * every FLOWING_CHECKPOINT_MS while they keep coming. The transport keeps order, so a client
   * that has a checkpoint has everything written before it.
   * On reconnect, each stream is authorized and followed again and its history read from there:
   * if every stream recovers, the client gets its pid back (socket.recovered === true) and the
   * missed payloads, in order, before any live one; payloads that arrived after the checkpoint
   * come again, with the offsets the client has seen. Otherwise it starts afresh and resubscribes.
   */

  @Override
  JsonObject connectData() {
    if (pid == null) pid = newId();
    return super.connectData().put("pid", pid);
  }

  private static String newId() {
    byte[] bytes = new byte[12];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private Future<Void> recoverState(String clientPid, String offsets) {
    JsonArray entries;
    try {
      entries = new JsonArray(offsets);
    } catch (RuntimeException e) {
      return Future.succeededFuture();
    }
    if (entries.size() > server.maxSubscriptions) return Future.succeededFuture();
    held = new ArrayList<>();
    List<Delivery> missed = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Object o : entries) {
      if (!(o instanceof JsonObject e) || !(e.getValue("a") instanceof String address) || !(e.getValue("o") instanceof Number n)
        || !(e.getValue("e") instanceof String epoch)) {
        chain = Future.failedFuture("malformed offset");
        break;
      }
      String threadToken = e.getValue("t") instanceof String t ? t : null;
      chain = chain.compose(v -> here(server.authorizeSubscription(session.caller, address, user, threadToken)).compose(grant -> {
        if (closed) return Future.failedFuture("closed");
        String stream = grant.stream();
        subscriptions.put(address, stream);
        positions.put(stream, new Position(address, threadToken, n.longValue(), epoch));
        return server.fanout.subscribe(stream, grant.userId(), this).timeout(SUBSCRIBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .compose(x -> server.log.since(stream, n.longValue(), epoch))
          .compose(r -> {
            if (!r.recovered()) return Future.failedFuture("history does not cover the gap");
            for (String json : r.missed()) {
              JsonObject payload = new JsonObject(json);
              missed.add(new Delivery(stream, address, Buffer.buffer(json), payload.getLong("offset", 0L), payload.getString("epoch")));
            }
            return Future.succeededFuture();
          });
      }));
    }
    return here(chain).transform(ar -> {
      if (ar.succeeded()) {
        pid = clientPid;
        replay = missed;
      } else {
        // Not recovered: a fresh socket, which the client fills by subscribing again.
        subscriptions.values().forEach(stream -> server.fanout.unsubscribe(stream, this));
        subscriptions.clear();
        positions.clear();
        held = null;
      }
      return Future.succeededFuture();
    });
  }

  @Override
  void afterConnect() {
    if (replay != null) {
      replay.forEach(this::write);
      replay = null;
      dirty = true;
      session.checkpointDue();
    }
    if (held != null) {
      List<Delivery> live = held;
      held = null;
      for (Delivery d : live) {
        Position p = d.offset > 0 ? positions.get(d.stream) : null;
        if (p != null && d.epoch.equals(p.epoch) && d.offset <= p.offset) continue; // replayed already
        write(d);
      }
    }
  }

  @Override
  public void deliver(Delivery delivery) {
    if (closed) return;
    if (held != null) {
      held.add(delivery);
      return;
    }
    write(delivery);
  }

  @Override
  public void deliver(DeliveryBatch batch) {
    if (closed) return;
    if (held != null) {
      held.addAll(batch.deliveries());
      return;
    }
    List<Delivery> ds = batch.deliveries();
    for (int i = ds.size() - 1; i >= 0; i--) {
      if (ds.get(i).offset > 0) {
        track(ds.get(i));
        break;
      }
    }
    session.deliver(batch);
  }

  private void write(Delivery d) {
    track(d);
    session.deliver(d);
  }

  private void track(Delivery d) {
    if (d.offset <= 0) return;
    Position p = positions.get(d.stream);
    if (p == null) return;
    p.offset = d.offset;
    p.epoch = d.epoch;
    flowing = true;
    if (!dirty) {
      dirty = true;
      session.checkpointDue();
    }
  }

  @Override
  void checkpoint(long now) {
    if (!dirty || closed || !connected) return;
    if (flowing && now - checkpointAt < FLOWING_CHECKPOINT_MS) {
      // Sent once the payloads pause for a sweep, or once the last checkpoint is old enough.
      flowing = false;
      session.checkpointDue();
      return;
    }
    flowing = false;
    dirty = false;
    checkpointAt = now;
    JsonArray all = new JsonArray();
    for (Position p : positions.values()) {
      JsonObject e = new JsonObject().put("a", p.address).put("o", p.offset).put("e", p.epoch);
      if (p.threadToken != null) e.put("t", p.threadToken);
      all.add(e);
    }
    session.send(SocketIoPacket.event(nsp, new JsonArray().add(OFFSETS_EVENT).add(all.encode())));
  }

  @Override
  void onEvent(SocketIoPacket event) {
    JsonArray args = (JsonArray) event.data();
    long ackId = event.ackId();
    if (!(args.getValue(0) instanceof String name)) {
      ackError(ackId, EcbException.badRequest("the event name must be an operation"));
      return;
    }
    Object value = args.size() > 1 ? args.getValue(1) : null;
    if (value != null && !(value instanceof JsonObject)) {
      ackError(ackId, EcbException.badRequest("body must be a JSON object"));
      return;
    }
    JsonObject body = value == null ? new JsonObject() : (JsonObject) value;
    switch (name) {
      case "subscribe" -> {
        Future<Void> next = here(barrier).transform(x -> subscribe(body, ackId));
        barrier = next;
        // Once settled, a plain future takes its place, so the settled one does not keep the body alive.
        next.onComplete(x -> {
          if (barrier == next) barrier = Future.succeededFuture();
        });
      }
      case "unsubscribe" -> here(barrier).onComplete(x -> unsubscribe(body, ackId));
      default -> here(barrier).onComplete(x -> call(name, body, ackId));
    }
  }

  private void call(String name, JsonObject body, long ackId) {
    SocketIoServer.Operation op = server.operation(name);
    if (op == null) {
      ackError(ackId, new EcbException(ErrorCode.NOT_FOUND, "no such operation: " + name));
      return;
    }
    Future<JsonObject> result;
    try {
      result = op.call(session.caller, user == null ? null : user.token(), body);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    reply(ackId, result);
  }

  private void reply(long ackId, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) ack(ackId, ar.result());
      else ackError(ackId, ar.cause());
    });
  }

  /**
   * {@code {address, threadToken?, sinceOffset?, epoch?}}: follows the stream, then acks where it
   * stands ({@code {offset, epoch}}; with sinceOffset also {@code {recovered, missed}}). The
   * position is read once the stream's consumer is registered, so nothing published after it is
   * missed; a payload may arrive both live and in {@code missed}, with the same offset.
   */
  private Future<Void> subscribe(JsonObject body, long ackId) {
    Recovery request;
    try {
      request = Recovery.of(body);
    } catch (EcbException e) {
      ackError(ackId, e);
      return Future.succeededFuture();
    }
    if (closed) return Future.succeededFuture();
    String known = subscriptions.get(request.address);
    if (known == null && subscriptions.size() >= server.maxSubscriptions) {
      ackError(ackId, new EcbException(ErrorCode.RATE_LIMITED, "at most " + server.maxSubscriptions + " subscriptions per connection"));
      return Future.succeededFuture();
    }
    Future<String> followed = known != null ? Future.succeededFuture(known)
      : here(server.authorizeSubscription(session.caller, request.address, user, request.threadToken)).compose(grant -> {
        if (closed) return Future.failedFuture(new EcbException(ErrorCode.UNAVAILABLE, "socket closed"));
        subscriptions.put(request.address, grant.stream());
        return server.fanout.subscribe(grant.stream(), grant.userId(), this)
          .timeout(SUBSCRIBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .recover(e -> Future.failedFuture(e instanceof EcbException ? e
            : new EcbException(ErrorCode.UNAVAILABLE, "subscription not confirmed by the cluster in time; retry")))
          .map(grant.stream());
      });
    return here(followed.compose(stream -> position(stream, request))).transform(ar -> {
      if (ar.succeeded()) {
        String stream = subscriptions.get(request.address);
        if (stream != null && !positions.containsKey(stream)) {
          // Everything after the acked position reaches the socket; what it had before is its own.
          JsonObject at = ar.result();
          positions.put(stream, new Position(request.address, request.threadToken, at.getLong("offset"), at.getString("epoch")));
          dirty = true;
          session.checkpointDue();
        }
        ack(ackId, ar.result());
      } else {
        if (known == null) {
          String stream = subscriptions.remove(request.address);
          if (stream != null) server.fanout.unsubscribe(stream, this);
        }
        ackError(ackId, ar.cause());
      }
      return Future.succeededFuture();
    });
  }

  private void unsubscribe(JsonObject body, long ackId) {
    if (!(body.getValue("address") instanceof String address)) {
      ackError(ackId, EcbException.badRequest("address (string) is required"));
      return;
    }
    String stream = subscriptions.remove(address);
    if (stream != null) {
      server.fanout.unsubscribe(stream, this);
      positions.remove(stream);
      dirty = true;
      session.checkpointDue();
    }
    ack(ackId, new JsonObject());
  }

  private Future<JsonObject> position(String stream, Recovery request) {
    StreamLog log = server.log;
    if (request.sinceOffset == null) {
      return log.position(stream).map(p -> new JsonObject().put("offset", p.offset()).put("epoch", p.epoch()));
    }
    return log.since(stream, request.sinceOffset, request.epoch).map(r -> {
      JsonArray missed = new JsonArray();
      r.missed().forEach(json -> missed.add(new JsonObject(json)));
      return new JsonObject()
        .put("recovered", r.recovered())
        .put("missed", missed)
        .put("offset", r.position().offset())
        .put("epoch", r.position().epoch());
    });
  }

  /** What a subscribe asks for. */
  private record Recovery(String address, String threadToken, Long sinceOffset, String epoch) {
    static Recovery of(JsonObject body) {
      if (!(body.getValue("address") instanceof String address) || address.isEmpty()) {
        throw EcbException.badRequest("address (string) is required");
      }
      Object since = body.getValue("sinceOffset");
      if (since != null && !(since instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue())) {
        throw EcbException.badRequest("sinceOffset must be a non-negative integer");
      }
      Object epoch = body.getValue("epoch");
      Object threadToken = body.getValue("threadToken");
      return new Recovery(address, threadToken instanceof String t ? t : null,
        since == null ? null : ((Number) since).longValue(), epoch == null ? null : String.valueOf(epoch));
    }
  }
}
