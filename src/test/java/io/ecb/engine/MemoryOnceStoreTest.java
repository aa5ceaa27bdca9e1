package io.ecb.engine;

import io.vertx.core.Vertx;

/** The once-store contract, held by the in-memory store. */
class MemoryOnceStoreTest extends OnceStoreContract {

  @Override
  protected OnceStore create(Vertx vertx) {
    return new MemoryOnceStore(vertx);
  }
}
