package io.ecb.delivery;

import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * Publishes payloads to a stream: stores them in the stream's history with their offset, then
 * publishes them on the clustered event bus, where each node's {@link Fanout} picks them up. This
 * node's own followers get a stored payload straight away, without the event bus's hop (those on
 * the publishing event loop right after the publish to the other nodes, before the publish's result
 * is handed on); the copy that reaches this node's consumer afterwards finds its offset delivered
 * and is dropped.
 */
public final class Publisher {

  private final Vertx vertx;
  private final StreamLog log;
  /** This node's fanout; null for a publisher that has no followers beside it. */
  private final Fanout local;

  public Publisher(Vertx vertx, StreamLog log, Fanout local) {
    this.vertx = vertx;
    this.log = log;
    this.local = local;
  }

  public StreamLog log() {
    return log;
  }

  /**
   * Stores and publishes; the result carries the payload's offset and epoch, and completes once
   * the payload is handed on. A future derived from the append's, not the append's own: a handler
   * added to that one after the append completed on Hazelcast's thread would run at once, on the
   * event loop, ahead of the delivery still queued there.
   */
  public Future<StreamLog.Appended> publish(String stream, JsonObject payload) {
    return log.append(stream, payload.encode()).map(a -> {
      Buffer stored = Buffer.buffer(a.json());
      Runnable others = () -> vertx.eventBus().publish(Streams.address(stream), stored, new DeliveryOptions()
        .addHeader("offset", Long.toString(a.offset()))
        .addHeader("epoch", a.epoch()));
      if (local != null) local.deliverStored(stream, stored, a.offset(), a.epoch(), others);
      else others.run();
      return a;
    });
  }

  /** Publishes without storing or numbering, for payloads not worth recovering (typing). */
  public void publishTransient(String stream, JsonObject payload) {
    vertx.eventBus().publish(Streams.address(stream), payload.toBuffer());
  }

  /**
   * Publishes to the connections of one user among a stream's followers, unnumbered: numbering it
   * in the shared stream would leave a gap in every other follower's offsets.
   */
  public void publishToUser(String stream, String userId, JsonObject payload) {
    vertx.eventBus().publish(Streams.address(stream), payload.toBuffer(), new DeliveryOptions().addHeader("userId", userId));
  }
}
