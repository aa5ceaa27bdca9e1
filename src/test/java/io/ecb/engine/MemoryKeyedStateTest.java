package io.ecb.engine;

import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.vertx.core.Vertx;

/** The keyed state contract, held by the in-memory engine. */
class MemoryKeyedStateTest extends KeyedStateContract {

  @Override
  protected Engine create(Vertx vertx) {
    return new MemoryEngine(vertx, new EcbConfig(ConfigLoader.defaults()).history);
  }
}
