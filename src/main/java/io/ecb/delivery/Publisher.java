package io.ecb.delivery;

import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * Publishes payloads to a stream: stores them in the stream's history with their offset, then
 * publishes them on the clustered event bus, where each node's {@link Fanout} picks them up.
 */
public final class Publisher {

  private final Vertx vertx;
  private final StreamLog log;

  public Publisher(Vertx vertx, StreamLog log) {
    this.vertx = vertx;
    this.log = log;
  }

  public StreamLog log() {
    return log;
  }

  /** Stores and publishes; the result carries the payload's offset and epoch. */
  public Future<StreamLog.Appended> publish(String stream, JsonObject payload) {
    return log.append(stream, payload.encode()).onSuccess(a ->
      vertx.eventBus().publish(Streams.address(stream), Buffer.buffer(a.json()), new DeliveryOptions()
        .addHeader("offset", Long.toString(a.offset()))
        .addHeader("epoch", a.epoch())));
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
