package io.ecb.cluster;

import io.ecb.config.EcbConfig;
import io.ecb.engine.StreamLog;
import io.ecb.engine.StreamLogContract;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stream log contract, held by the Hazelcast log on a one-member cluster: the same answers as
 * the in-memory log, through entry processors and their serialized results.
 */
class HazelcastStreamLogTest extends StreamLogContract {

  @RegisterExtension
  static final LoneHazelcast hazelcast = new LoneHazelcast();

  @Override
  protected StreamLog create(Vertx vertx, EcbConfig.History config) {
    return new HazelcastStreamLog(vertx, hazelcast.instance(), config);
  }

  @Override
  protected void lose(String stream) {
    hazelcast.instance().getMap(HazelcastStreamLog.MAP).delete(stream);
  }
}
