package io.ecb.engine;

import io.ecb.config.EcbConfig;
import io.vertx.core.Vertx;

/** The stream log contract, held by the in-memory log. */
class MemoryStreamLogTest extends StreamLogContract {

  @Override
  protected StreamLog create(Vertx vertx, EcbConfig.History config) {
    return new MemoryStreamLog(vertx, config);
  }

  @Override
  protected void lose(String stream) {
    ((MemoryStreamLog) log).drop(stream);
  }
}
