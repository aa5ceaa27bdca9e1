package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.ecb.config.EcbConfig;
import io.ecb.engine.StreamLog;
import io.ecb.engine.StreamLogContract;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The stream log contract, held by the Hazelcast log on a one-member cluster: the same answers as
 * the in-memory log, through entry processors and their serialized results.
 */
class HazelcastStreamLogTest extends StreamLogContract {

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
  protected StreamLog create(Vertx vertx, EcbConfig.History config) {
    return new HazelcastStreamLog(vertx, hazelcast, config);
  }

  @Override
  protected void lose(String stream) {
    hazelcast.getMap(HazelcastStreamLog.MAP).delete(stream);
  }
}
