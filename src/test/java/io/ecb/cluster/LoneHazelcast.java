package io.ecb.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A one-member Hazelcast cluster with ECB's cluster.xml, for the engine's contract tests. */
final class LoneHazelcast {

  private LoneHazelcast() {
  }

  static HazelcastInstance start() {
    JsonObject json = ConfigLoader.defaults();
    int port = TestNode.freePort();
    json.getJsonObject("cluster").put("name", TestNode.newClusterName()).put("host", "127.0.0.1").put("port", port)
      .put("members", new JsonArray().add("127.0.0.1:" + port)).put("configFile", "conf/cluster.xml");
    return Hazelcast.newHazelcastInstance(ClusterSetup.hazelcastConfig(new EcbConfig(json).cluster));
  }
}
