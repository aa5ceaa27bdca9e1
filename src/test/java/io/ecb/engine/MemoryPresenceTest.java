package io.ecb.engine;

import io.vertx.core.Vertx;

/** The presence contract, in one node's heap. */
class MemoryPresenceTest extends PresenceContract {

  @Override
  protected Presence create(Vertx vertx) {
    return new MemoryPresence(vertx);
  }

  @Override
  protected int heldThreads() {
    return ((MemoryPresence) presence).threadCount();
  }
}
