package io.ecb.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.engine.StreamLog;
import io.ecb.engine.StreamLogContract;
import io.ecb.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;

/**
 * The stream log contract, held by the Hazelcast log on a one-member cluster: the same answers as
 * the in-memory log, through entry processors and their serialized results.
 */
class HazelcastStreamLogTest extends StreamLogContract {

  private static HazelcastInstance hazelcast;

  private static synchronized HazelcastInstance hazelcast() {
    if (hazelcast == null) {
      JsonObject json = ConfigLoader.defaults();
      int port = TestNode.freePort();
      json.getJsonObject("cluster").put("name", TestNode.newClusterName()).put("host", "127.0.0.1").put("port", port)
        .put("members", new JsonArray().add("127.0.0.1:" + port)).put("configFile", "conf/cluster.xml");
      hazelcast = Hazelcast.newHazelcastInstance(ClusterSetup.hazelcastConfig(new EcbConfig(json).cluster));
    }
    return hazelcast;
  }

  @AfterAll
  static void shutDown() {
    if (hazelcast != null) hazelcast.shutdown();
    hazelcast = null;
  }

  @Override
  protected StreamLog create(Vertx vertx, EcbConfig.History config) {
    return new HazelcastStreamLog(vertx, hazelcast(), config);
  }

  @Override
  protected void lose(String stream) {
    hazelcast().getMap(HazelcastStreamLog.MAP).delete(stream);
  }
}
