package io.ecb.socketio;

import io.ecb.chat.EcbException;
import io.ecb.chat.ErrorCode;
import io.ecb.delivery.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * Namespace {@code /chat}: the chat API of SPEC section 3 as Socket.IO events.
 * {@code emit(operation, body, ack)} calls the operation (a thread operation takes its
 * threadToken from the body) and acks the HTTP API's body: the reply, or {@code {error}};
 * {@code subscribe} / {@code unsubscribe} follow stream addresses, whose payloads arrive as events
 * named by their {@code kind}.
 *
 * <p>The userToken comes with the CONNECT and is checked again by every operation, so an expired
 * one answers UNAUTHORIZED; with none, only getUserToken works. As on the bridge, a subscribe takes
 * effect cluster-wide before any later event of the socket is handled.
 */
final class ChatNamespace extends Namespace {

  private static final long SUBSCRIBE_TIMEOUT_SECONDS = 10;

  private String userToken;
  private Future<Void> barrier = Future.succeededFuture();

  ChatNamespace(EngineSession session) {
    super(session, SocketIoServer.CHAT);
  }

  @Override
  Future<Void> connect(JsonObject auth) {
    Object token = auth.getValue("userToken");
    if (token == null || token instanceof String s && s.isEmpty()) return Future.succeededFuture();
    if (!(token instanceof String s)) return Future.failedFuture(EcbException.unauthorized("userToken must be a string"));
    return server.connectUser(s).map(user -> {
      userToken = s;
      return null;
    });
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
      case "recover" -> here(barrier).onComplete(x -> reply(ackId, recover(body)));
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
      result = op.call(userToken, body);
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
      request = Recovery.of(body, false);
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
      : here(server.authorizeSubscription(request.address, userToken, request.threadToken)).compose(grant -> {
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
    if (stream != null) server.fanout.unsubscribe(stream, this);
    ack(ackId, new JsonObject());
  }

  /** {@code {address, threadToken?, sinceOffset, epoch?}} → {@code {recovered, missed, offset, epoch}}, for any stream the caller may follow. */
  private Future<JsonObject> recover(JsonObject body) {
    Recovery request;
    try {
      request = Recovery.of(body, true);
    } catch (EcbException e) {
      return Future.failedFuture(e);
    }
    return server.authorizeSubscription(request.address, userToken, request.threadToken)
      .compose(grant -> position(grant.stream(), request));
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

  /** What a subscribe or recover asks for. */
  private record Recovery(String address, String threadToken, Long sinceOffset, String epoch) {
    static Recovery of(JsonObject body, boolean sinceRequired) {
      if (!(body.getValue("address") instanceof String address) || address.isEmpty()) {
        throw EcbException.badRequest("address (string) is required");
      }
      Object since = body.getValue("sinceOffset");
      if (since == null && sinceRequired) throw EcbException.badRequest("sinceOffset is required");
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
