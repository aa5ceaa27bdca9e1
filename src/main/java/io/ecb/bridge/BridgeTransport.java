package io.ecb.bridge;

import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.vertx.core.buffer.Buffer;

/** How a bridge session's frames reach its client: SockJS over WebSocket, raw WebSocket, or another SockJS transport. */
interface BridgeTransport {

  /**
   * Tells the client the session is open (SockJS {@code o}), once the node counts the session and
   * handles its frames, so a client that sees it open never finds the node unaware of it.
   */
  default void open() {
  }

  /** Writes one bridge frame (a reply or an error). */
  void write(Buffer frame);

  /** Writes a stream payload, using the delivery's shared encoding for this transport. */
  void deliver(Delivery delivery);

  /** Writes several stream payloads, in order; wires that can write them in one go override this. */
  default void deliver(DeliveryBatch batch) {
    for (Delivery d : batch.deliveries()) deliver(d);
  }

  /**
   * Transport-level keep-alive, for wires that need one (SockJS {@code h}): called twice per
   * heartbeat interval, it writes one only when nothing else went out for that long.
   */
  default void heartbeat() {
  }

  /** Closes with a code and reason the client's close event reports. */
  void close(int code, String reason);
}
