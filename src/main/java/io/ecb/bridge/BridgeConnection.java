package io.ecb.bridge;

import io.ecb.delivery.Connection;
import io.ecb.transport.SockJsCodec;
import io.ecb.auth.Caller;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.ecb.delivery.Fanout;
import io.netty.buffer.ByteBufUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client of the event-bus bridge, speaking the standard Vert.x bridge protocol:
 * {@code send} (request/reply on the operation addresses), {@code register}/{@code unregister}
 * (the stream addresses), {@code ping}. Anything else, {@code publish} included, is refused.
 *
 * <p>A register takes effect cluster-wide before any later frame of the same connection is
 * answered, so a client that registers and then calls getThread cannot miss a message in between.
 */
final class BridgeConnection implements Connection {

  private static final Logger LOG = Logger.getLogger(BridgeConnection.class.getName());
  private static final long REGISTER_TIMEOUT_SECONDS = 10;

  private final BridgeServer server;
  private final BridgeTransport transport;
  /** address → stream, for this connection's registrations. */
  private final Map<String, String> registrations = new HashMap<>(2); // most connections follow one or two streams
  private Future<Void> barrier = Future.succeededFuture();
  volatile long lastPing = System.currentTimeMillis();
  /** Which heartbeat turn checks this connection: spread at random, so that not all are checked at once. */
  final int heartbeatSlot = ThreadLocalRandom.current().nextInt(BridgeServer.HEARTBEAT_SLOTS);
  private final Context context;
  /** Who this connection is, for its token checks: too many failed ones close it. */
  private final Caller caller;
  private boolean closed;

  /** Created on the connection's event loop, where all its frames are handled. */
  BridgeConnection(BridgeServer server, SocketAddress remote, Function<BridgeConnection, BridgeTransport> transport) {
    this.server = server;
    this.context = Vertx.currentContext();
    this.caller = Caller.connection(remote, () -> closeLater(CloseReason.AUTH_FAILURES));
    this.transport = transport.apply(this);
  }

  /** Closes from any thread (a slow-consumer verdict comes from the delivering thread). */
  void closeLater(CloseReason reason) {
    context.runOnContext(v -> close(reason));
  }

  BridgeTransport transport() {
    return transport;
  }

  @Override
  public void deliver(Delivery delivery) {
    transport.deliver(delivery);
  }

  @Override
  public void deliver(DeliveryBatch batch) {
    transport.deliver(batch);
  }

  @Override
  public Context context() {
    return context;
  }

  /** Called on the connection's context for every bridge frame the client sends. */
  void onFrame(Buffer data) {
    onFrame(() -> new JsonObject(data), data.length());
  }

  /** A frame that arrived as text (every SockJS message): parsed from the string, with no byte copy. */
  void onFrame(String text) {
    if (text.equals(SockJsCodec.PING)) {
      // The frame an idle connection sends every few seconds: no parser, nothing to collect.
      if (!closed) pinged();
      return;
    }
    // Its UTF-8 size is only needed when it might pass the limit (at most 3 bytes per char).
    onFrame(() -> new JsonObject(text), text.length() <= server.maxFrameBytes / 3 ? text.length() : ByteBufUtil.utf8Bytes(text));
  }

  /** The client is alive: the ping sweep leaves the connection open. */
  private void pinged() {
    lastPing = System.currentTimeMillis();
  }

  private void onFrame(Supplier<JsonObject> parse, long frameBytes) {
    if (closed) return;
    JsonObject msg;
    try {
      msg = parse.get();
    } catch (RuntimeException e) {
      replyError("invalid_json");
      return;
    }
    String type = msg.getValue("type") instanceof String s ? s : null;
    if (type == null) {
      replyError("missing_type");
      return;
    }
    if (type.equals("ping")) {
      pinged();
      return;
    }
    String address = msg.getValue("address") instanceof String s ? s : null;
    if (address == null) {
      replyError("missing_address");
      return;
    }
    String replyAddress = msg.getValue("replyAddress") instanceof String s ? s : null;
    JsonObject headers = msg.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
    if (frameBytes > server.maxFrameBytes) {
      refuse(address, replyAddress, new EcbException(ErrorCode.PAYLOAD_TOO_LARGE,
        "frame exceeds " + server.maxFrameBytes + " bytes"));
      return;
    }
    switch (type) {
      case "send" -> barrier.onComplete(x -> send(address, replyAddress, headers, msg.getValue("body")));
      case "register" -> {
        Future<Void> next = barrier.transform(x -> register(address, headers));
        barrier = next;
        // Once settled, a plain future takes its place: the settled one would keep this frame
        // (its token included) alive for as long as the connection lasts.
        next.onComplete(x -> {
          if (barrier == next) barrier = Future.succeededFuture();
        });
      }
      case "unregister" -> barrier.onComplete(x -> unregister(address));
      case "publish" -> refuse(address, replyAddress, new EcbException(ErrorCode.FORBIDDEN, "clients may not publish"));
      default -> replyError("invalid_type");
    }
  }

  private void send(String address, String replyAddress, JsonObject headers, Object body) {
    BridgeServer.Operation op = server.operation(address);
    if (op == null) {
      refuse(address, replyAddress, new EcbException(ErrorCode.FORBIDDEN, "address not permitted: " + address));
      return;
    }
    if (replyAddress == null || replyAddress.length() > 100) {
      server.refused.increment();
      replyError(replyAddress == null ? "missing_reply_address" : "invalid_reply_address");
      return;
    }
    Future<JsonObject> result;
    try {
      result = op.call(caller, headers, body instanceof JsonObject b ? b : body == null ? new JsonObject() : null);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        transport.write(new JsonObject().put("type", "rec").put("address", replyAddress).put("body", ar.result()).toBuffer());
      } else {
        fail(replyAddress, ar.cause());
      }
    });
  }

  private Future<Void> register(String address, JsonObject headers) {
    if (closed) return Future.succeededFuture();
    if (registrations.containsKey(address)) return Future.succeededFuture();
    if (registrations.size() >= server.maxSubscriptions) {
      fail(address, new EcbException(ErrorCode.RATE_LIMITED,
        "at most " + server.maxSubscriptions + " subscriptions per connection"));
      return Future.succeededFuture();
    }
    return server.authorize(caller, address, headers)
      .compose(grant -> {
        if (closed) return Future.succeededFuture();
        registrations.put(address, grant.stream());
        // Later frames wait for this registration: never let them wait forever.
        return server.fanout.subscribe(grant.stream(), grant.userId(), this)
          .timeout(REGISTER_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .recover(e -> Future.failedFuture(e instanceof EcbException ? e
            : new EcbException(ErrorCode.UNAVAILABLE, "subscription not confirmed by the cluster in time; retry")));
      })
      .recover(e -> {
        if (!(e instanceof EcbException)) server.refused.increment();
        else if (((EcbException) e).code == ErrorCode.FORBIDDEN) server.refused.increment();
        fail(address, e);
        String stream = registrations.remove(address);
        if (stream != null) server.fanout.unsubscribe(stream, this);
        return Future.succeededFuture();
      });
  }

  private void unregister(String address) {
    String stream = registrations.remove(address);
    if (stream != null) server.fanout.unsubscribe(stream, this);
  }

  /** A refused frame: the caller's handler (replyAddress, or the address itself) gets the error. */
  private void refuse(String address, String replyAddress, EcbException e) {
    server.refused.increment();
    fail(replyAddress != null ? replyAddress : address, e);
  }

  private void fail(String address, Throwable cause) {
    EcbException e = EcbException.of(cause);
    if (e != cause) LOG.log(Level.WARNING, "bridge request failed", cause);
    transport.write(new JsonObject()
      .put("type", "err")
      .put("address", address)
      .put("failureCode", e.code.status)
      .put("failureType", "RECIPIENT_FAILURE")
      .put("message", e.toJson().encode())
      .toBuffer());
  }

  private void replyError(String error) {
    transport.write(new JsonObject().put("type", "err").put("body", error).toBuffer());
  }

  void close(CloseReason reason) {
    transport.close(reason.code, reason.reason);
    closed();
  }

  /** The connection is gone: drop every registration. Runs once. */
  void closed() {
    if (closed) return;
    closed = true;
    registrations.values().forEach(stream -> server.fanout.unsubscribe(stream, this));
    registrations.clear();
    server.connections.remove(this);
  }
}
