package io.ecb.push;

import io.ecb.error.EcbException;
import io.ecb.delivery.Fanout;
import io.ecb.delivery.Publisher;
import io.ecb.delivery.Streams;
import io.ecb.engine.Engine;
import io.ecb.engine.OnceStore;
import io.ecb.module.Module;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The push core: a notification goes to a target (a channel, a user, or one user on one channel)
 * and reaches every matching connection on every node, over every transport. Channel and user
 * notifications are numbered and kept in their stream's history like chat messages, so
 * reconnecting clients recover them; a notification for one user on a channel is not (it is
 * not part of what the channel's other followers count).
 */
public final class PushService implements Module {

  private static final long IDEMPOTENCY_SECONDS = 300;

  private final Vertx vertx;
  private final Publisher publisher;
  private final Fanout fanout;
  private final Engine cluster;
  private final OnceStore published;
  private MessageConsumer<String> statsConsumer;

  public PushService(Vertx vertx, Publisher publisher, Fanout fanout, Engine engine) {
    this.vertx = vertx;
    this.publisher = publisher;
    this.fanout = fanout;
    this.cluster = engine;
    this.published = engine.once();
  }

  /** Each node answers for its own followers; the API sums the answers of the nodes alive now. */
  @Override
  public Future<Void> start() {
    statsConsumer = vertx.eventBus().<String>consumer(statsAddress(cluster.nodeId()))
      .handler(m -> m.reply(fanout.localSubscribers(m.body())));
    return statsConsumer.completion();
  }

  private static String statsAddress(String nodeId) {
    return "ecb.node." + nodeId + ".followers";
  }

  /** A notification payload, as every transport delivers it. */
  public static JsonObject notification(String event, Object data, String messageId) {
    return new JsonObject().put("kind", "notification").put("event", event).put("data", data).put("messageId", messageId);
  }

  /**
   * Publishes {@code payload} (which carries {@code messageId}) to the target. A messageId the
   * caller chose ({@code callerMessageId}) and that was seen in the last five minutes is not
   * published again; one ECB made up cannot be a retry (the caller never learned it unless the
   * publish succeeded), so it is not looked up or remembered.
   */
  public Future<Void> publish(String channel, String userId, JsonObject payload, boolean callerMessageId) {
    if (!callerMessageId) return send(channel, userId, payload);
    String messageId = payload.getString("messageId");
    return published.claim(messageId, IDEMPOTENCY_SECONDS)
      .compose(claimed -> !claimed ? Future.<Void>succeededFuture()
        // If storing failed, forget the id so that the publisher's retry is not swallowed.
        : send(channel, userId, payload).onFailure(e -> published.release(messageId)));
  }

  private Future<Void> send(String channel, String userId, JsonObject payload) {
    if (channel != null && userId != null) {
      publisher.publishToUser(Streams.channel(channel), userId, payload);
      return Future.succeededFuture();
    }
    String stream = channel != null ? Streams.channel(channel) : Streams.user(userId);
    return publisher.publish(stream, payload).mapEmpty();
  }

  public static String newMessageId() {
    return UUID.randomUUID().toString();
  }

  /** {@code {name, subscribers, published}}: followers on all live nodes, and notifications numbered so far. */
  public Future<JsonObject> channelStats(String name) {
    String stream = Streams.channel(name);
    List<Future<Integer>> counts = new ArrayList<>();
    for (String node : cluster.nodes()) {
      counts.add(vertx.eventBus().<Integer>request(statsAddress(node), stream, new DeliveryOptions().setSendTimeout(2000))
        .map(m -> m.body()).otherwise(0));
    }
    return Future.all(counts).compose(all -> publisher.log().position(stream).map(position -> {
      int subscribers = 0;
      for (int i = 0; i < all.size(); i++) subscribers += all.<Integer>resultAt(i);
      return new JsonObject().put("name", name).put("subscribers", subscribers).put("published", position.offset());
    }));
  }

  public static void requireName(String what, String value) {
    if (value != null && (value.isBlank() || value.length() > 255)) {
      throw EcbException.badRequest(what + " must be 1 to 255 characters");
    }
  }

  @Override
  public Future<Void> stop() {
    return statsConsumer == null ? Future.succeededFuture() : statsConsumer.unregister();
  }
}
