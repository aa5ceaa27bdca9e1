package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.ecb.engine.OnceStore;
import io.ecb.engine.OnceStoreContract;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The once-store contract, held by the Hazelcast store through its entry processors. */
class HazelcastOnceStoreTest extends OnceStoreContract {

  private static HazelcastInstance hazelcast;

  @BeforeAll
  static void startHazelcast() {
    hazelcast = LoneHazelcast.start();
  }

  @AfterAll
  static void shutDown() {
    hazelcast.shutdown();
  }

  @Override
  protected OnceStore create(Vertx vertx) {
    return new HazelcastOnceStore(vertx, hazelcast);
  }
}
