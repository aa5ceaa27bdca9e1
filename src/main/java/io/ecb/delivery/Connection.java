package io.ecb.delivery;

import io.vertx.core.Context;

/**
 * A client connection following streams, whatever its transport (bridge, Socket.IO, SSE, a push
 * profile's socket or stream): what {@link Fanout} delivers to. {@code deliver} is called from any
 * thread and must not block.
 */
public interface Connection {

  void deliver(Delivery delivery);

  /**
   * Several payloads of one stream at once, in order. Connections that can write them in one go
   * override this; by default each is delivered in turn.
   */
  default void deliver(DeliveryBatch batch) {
    for (Delivery d : batch.deliveries()) deliver(d);
  }

  /**
   * The event loop that owns this connection, or null. A connection that names one is always
   * called on it; deliveries to the connections of one event loop are handed over in one task.
   */
  default Context context() {
    return null;
  }
}
