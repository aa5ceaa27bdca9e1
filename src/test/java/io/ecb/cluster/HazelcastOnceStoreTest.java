package io.ecb.cluster;

import io.ecb.engine.OnceStore;
import io.ecb.engine.OnceStoreContract;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The once-store contract, held by the Hazelcast store through its entry processors. */
class HazelcastOnceStoreTest extends OnceStoreContract {

  @RegisterExtension
  static final LoneHazelcast hazelcast = new LoneHazelcast();

  @Override
  protected OnceStore create(Vertx vertx) {
    return new HazelcastOnceStore(vertx, hazelcast.instance());
  }
}
