package io.ecb.cluster;

import io.ecb.engine.Engine;
import io.ecb.engine.KeyedStateContract;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The keyed state contract, held by Hazelcast maps through entry processors. */
class HazelcastKeyedStateTest extends KeyedStateContract {

  @RegisterExtension
  static final LoneHazelcast hazelcast = new LoneHazelcast();

  @Override
  protected Engine create(Vertx vertx) {
    // Only the keyed state is under test: the streams, the once store and the node list stay out.
    return new HazelcastEngine(vertx, null, hazelcast.instance(), null, null);
  }
}
