package io.ecb.push.n10n;

import io.ecb.delivery.Connection;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.Fanout;
import io.ecb.transport.SseStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/** A channel: one SSE response on this node, following the streams of its subscriptions. */
final class Channel implements Connection {

  private static final Logger LOG = Logger.getLogger(NotificationsSseProfile.class.getName());

  private final Vertx vertx;
  private final Fanout fanout;
  private final ChannelRegistry registry;
  private final ChannelDirectory directory;
  final RoutingContext ctx;
  final HttpServerResponse response;
  final Context context;
  final String channelId;
  final String userId;
  final String app;
  final long expiresAt;
  /** stream → subscription, for entities; the heartbeat is a flag. */
  final Map<String, Sub> streams = new LinkedHashMap<>();
  boolean heartbeat;
  long expiryTimer = -1;
  final SseStream out;
  boolean started;
  boolean ended;

  Channel(NotificationsSseProfile profile, RoutingContext ctx, Context context, String channelId, String userId, String app, long expiresAt) {
    this.vertx = profile.vertx;
    this.fanout = profile.fanout;
    this.registry = profile.registry;
    this.directory = profile.directory;
    this.ctx = ctx;
    this.response = ctx.response();
    this.context = context;
    this.out = new SseStream(response, profile.outboundQueueBytes, this::end);
    this.channelId = channelId;
    this.userId = userId;
    this.app = app;
    this.expiresAt = expiresAt;
  }

  void wanted(Sub s) {
    if (s.heartbeat()) heartbeat = true;
    else streams.put(NotificationsSseProfile.stream(app, s.entity(), s.wsid()), s);
  }

  int count() {
    return streams.size() + (heartbeat ? 1 : 0);
  }

  /**
   * The channel's state belongs to its event loop: a continuation that lands on another thread
   * (a Hazelcast callback, say) would race {@link #deliver}, so it fails here instead.
   */
  private void onLoop() {
    if (!((ContextInternal) context).nettyEventLoop().inEventLoop()) {
      throw new IllegalStateException("n10n channel used off its event loop, in " + Thread.currentThread().getName());
    }
  }

  Future<Void> start(long expiresIn) {
    onLoop();
    registry.add(this);
    response.closeHandler(v -> end());
    List<Future<Void>> ready = new ArrayList<>();
    for (String stream : streams.keySet()) ready.add(fanout.subscribe(stream, userId, this));
    // Future.all completes where the last stream's consumer did, maybe another event loop.
    Promise<Void> all = ((ContextInternal) context).promise();
    Future.all(ready).<Void>mapEmpty().onComplete(all);
    return all.future().onComplete(ar -> {
      onLoop();
      if (ended) return;
      if (ar.failed()) {
        end();
        ApiErrors.fail(ctx, ar.cause());
        return;
      }
      started = true;
      out.open();
      write("event: channelID\ndata: " + channelId + "\n\n");
      expiryTimer = vertx.setTimer(Math.max(1, expiresAt - System.currentTimeMillis()), id -> end());
    });
  }

  @Override
  public Context context() {
    return context;
  }

  /** Called on this channel's event loop (see {@link #context()}). */
  @Override
  public void deliver(Delivery d) {
    onLoop();
    if (ended || !started) return;
    Sub s = streams.get(d.stream);
    if (s == null) return;
    long offset = d.offset;
    try {
      JsonObject payload = new JsonObject(d.payload.toString(StandardCharsets.UTF_8));
      if (payload.getValue("data") instanceof JsonObject data && data.getValue("offset") instanceof Number n) {
        offset = n.longValue();
      } else if (payload.getValue("data") instanceof Number n) {
        offset = n.longValue();
      }
    } catch (DecodeException | ClassCastException ignored) {
      // not JSON: the stream offset stands in
    }
    update(s.entity(), s.wsid(), offset);
  }

  void update(String item, long wsid, long offset) {
    JsonObject data = new JsonObject().put("app", app).put("item", item).put("wsid", wsid).put("offset", offset);
    write("event: update\ndata: " + data.encode() + "\n\n");
  }

  void heartbeat(long offset) {
    context.runOnContext(v -> {
      if (!started || ended) return;
      if (heartbeat) update(".", 0, offset);
      // A channel without the heartbeat subscription gets an SSE comment (ignored by EventSource)
      // instead, so that a quiet one is not closed by the server's idle timeout.
      else write(":\n\n");
    });
  }

  Future<Void> subscribe(Sub s) {
    if (ended) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
    boolean isHeartbeat = s.heartbeat();
    String stream = isHeartbeat ? null : NotificationsSseProfile.stream(app, s.entity(), s.wsid());
    if (isHeartbeat ? heartbeat : streams.containsKey(stream)) return Future.succeededFuture(); // idempotent
    return directory.set(userId, channelId, expiresAt, count() + 1)
      .compose(v -> {
        onLoop();
        if (ended) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
        if (isHeartbeat) {
          heartbeat = true;
          return Future.succeededFuture();
        }
        if (streams.containsKey(stream)) return Future.succeededFuture();
        streams.put(stream, s);
        return fanout.subscribe(stream, userId, this);
      });
  }

  Future<Void> unsubscribe(Sub s) {
    onLoop();
    if (ended) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
    boolean removed;
    if (s.heartbeat()) {
      removed = heartbeat;
      heartbeat = false;
    } else {
      String stream = NotificationsSseProfile.stream(app, s.entity(), s.wsid());
      removed = streams.remove(stream) != null;
      if (removed) fanout.unsubscribe(stream, this);
    }
    if (!removed) return Future.succeededFuture();
    return directory.set(userId, channelId, expiresAt, count())
      .recover(e -> Future.succeededFuture());
  }

  private void write(String text) {
    if (!ended) out.write(text);
  }

  void end() {
    context.runOnContext(v -> {
      if (ended) return;
      ended = true;
      vertx.cancelTimer(expiryTimer);
      for (String stream : streams.keySet()) fanout.unsubscribe(stream, this);
      // The channel counts against the quotas until its cluster-wide entry is gone.
      directory.close(userId, channelId)
        .onFailure(e -> LOG.log(Level.FINE, "n10n channel entry not removed; it expires by itself", e))
        .onComplete(ar -> registry.remove(this));
      if (started) out.end();
    });
  }
}
