package io.ecb.socketio;

import io.ecb.delivery.Connection;
import io.ecb.error.EcbException;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.ecb.delivery.Fanout;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A client's socket in one Socket.IO namespace of an {@link EngineSession}: it follows streams
 * for the client (one Fanout follower per socket) and answers its events. Runs on the session's
 * event loop.
 */
abstract class Namespace implements Connection {

  private static final Logger LOG = Logger.getLogger(Namespace.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  final EngineSession session;
  final SocketIoServer server;
  final String nsp;
  /** The socket id the CONNECT answer carries. */
  final String id;
  boolean connected;
  boolean closed;
  /** address → stream, for this socket's subscriptions. */
  final Map<String, String> subscriptions = new HashMap<>(2);

  Namespace(EngineSession session, String nsp) {
    this.session = session;
    this.server = session.server;
    this.nsp = nsp;
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    this.id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Checks the CONNECT's auth payload; a failure is answered with CONNECT_ERROR and its code. */
  abstract Future<Void> connect(JsonObject auth);

  /** An EVENT of a connected socket: {@code [name, ...args]}, with an ack id or -1. */
  abstract void onEvent(SocketIoPacket event);

  /** The CONNECT answer's data. */
  JsonObject connectData() {
    return new JsonObject().put("sid", id);
  }

  /** Called once the CONNECT answer is sent. */
  void afterConnect() {
  }

  /** Called by the session's sweep after {@link EngineSession#checkpointDue()}, at {@code now} (ms). */
  void checkpoint(long now) {
  }

  /** Acks from any thread: the packet is sent on the session's event loop. */
  void ack(long ackId, Object value) {
    if (ackId < 0) return;
    session.onContext(() -> {
      if (!closed) session.send(SocketIoPacket.ack(nsp, ackId, new JsonArray().add(value)));
    });
  }

  /** {@code f}, completing on the session's event loop, so what follows it may touch this socket's state. */
  <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> session.onContext(() -> p.handle(ar)));
    return p.future();
  }

  /** The ack of a failed request: {@code {error: {code, message}}}, the HTTP API's error body. */
  void ackError(long ackId, Throwable cause) {
    ack(ackId, new JsonObject().put("error", clientError(cause).toJson()));
  }

  static EcbException clientError(Throwable cause) {
    EcbException e = EcbException.of(cause);
    if (e != cause) LOG.log(Level.WARNING, "Socket.IO request failed", cause);
    return e;
  }

  @Override
  public void deliver(Delivery delivery) {
    if (!closed) session.deliver(delivery);
  }

  @Override
  public void deliver(DeliveryBatch batch) {
    if (!closed) session.deliver(batch);
  }

  @Override
  public Context context() {
    return session.context;
  }

  /** The socket is gone (client DISCONNECT, or its session ended): stop following its streams. */
  void closed() {
    if (closed) return;
    closed = true;
    subscriptions.values().forEach(stream -> server.fanout.unsubscribe(stream, this));
    subscriptions.clear();
  }
}
