package io.ecb.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A one-member Hazelcast cluster with ECB's cluster.xml, for the engine's contract tests: register
 * it as a static {@code @RegisterExtension} field and it lives for the test class.
 */
final class LoneHazelcast implements BeforeAllCallback, AfterAllCallback {

  private HazelcastInstance hazelcast;

  @Override
  public void beforeAll(ExtensionContext context) {
    JsonObject json = ConfigLoader.defaults();
    int port = TestNode.freePort();
    json.getJsonObject("cluster").put("name", TestNode.newClusterName()).put("host", "127.0.0.1").put("port", port)
      .put("members", new JsonArray().add("127.0.0.1:" + port)).put("configFile", "conf/cluster.xml");
    hazelcast = Hazelcast.newHazelcastInstance(ClusterSetup.hazelcastConfig(new EcbConfig(json).cluster));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    hazelcast.shutdown();
  }

  HazelcastInstance instance() {
    return hazelcast;
  }
}
