package io.ecb.support;

import io.ecb.EcbNode;
import io.ecb.cluster.ClusterSetup;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.demo.DemoBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real ECB node for tests: a clustered Vert.x on Hazelcast (TCP join on 127.0.0.1, no multicast)
 * with the node's services and HTTP server on a free port. Nodes started with the same cluster name
 * form one cluster inside the test JVM.
 */
public final class TestNode {

  public final Vertx vertx;
  public final EcbNode node;
  public final EcbConfig config;

  private TestNode(Vertx vertx, EcbNode node, EcbConfig config) {
    this.vertx = vertx;
    this.node = node;
    this.config = config;
  }

  public int port() {
    return node.port();
  }

  private static final Map<String, Integer> BASE_PORTS = new ConcurrentHashMap<>();

  public static String newClusterName() {
    return "ecb-test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Hazelcast ports for a test cluster: a random block of ten, so clusters of concurrent test runs
   * (or a node a developer left running on 5701) never probe each other.
   */
  private static int basePort(String clusterName) {
    return BASE_PORTS.computeIfAbsent(clusterName, n -> unusedPort(20_000, 1_276, 10));
  }

  /** Config for a node of {@code clusterName} whose backend is {@code backendUrl}, verified with {@code keys}. */
  public static JsonObject config(String clusterName, String backendUrl, TestKeys keys) {
    JsonObject c = ConfigLoader.defaults();
    c.getJsonObject("http").put("port", freePort()).put("host", "127.0.0.1");
    c.getJsonObject("auth").put("algorithm", keys.algorithm).put("publicKey", keys.publicPem);
    c.getJsonObject("backend").put("url", backendUrl).put("webhookSecret", new JsonArray().add(StubBackend.SECRET)).put("timeoutMs", 2000);
    int base = basePort(clusterName);
    JsonArray members = new JsonArray();
    for (int p = base; p < base + 5; p++) members.add("127.0.0.1:" + p);
    c.getJsonObject("cluster").put("name", clusterName).put("host", "127.0.0.1").put("port", base)
      .put("members", members)
      .put("configFile", "conf/cluster.xml");
    return c;
  }

  public static Future<TestNode> start(JsonObject json) {
    DemoBackend.applyDefaults(json);
    EcbConfig config = new EcbConfig(json);
    return ClusterSetup.start(config, new VertxOptions())
      .compose(vertx -> EcbNode.start(vertx, config).map(node -> new TestNode(vertx, node, config))
        // A refused node has left the cluster by the time its start fails, as with Main.
        .recover(e -> vertx.close().transform(x -> Future.<TestNode>failedFuture(e))));
  }

  /** A graceful stop: drain, undeploy, leave the cluster. */
  public Future<Void> close() {
    // Not stop().eventually(vertx::close): that future would complete on an event loop of the
    // Vert.x being closed, which is gone by then.
    Promise<Void> closed = Promise.promise();
    node.stop().onComplete(ar -> vertx.close().onComplete(closed));
    return closed.future();
  }

  /** A port for a server of a test: free now, and handed out once per test JVM. */
  public static int freePort() {
    return unusedPort(10_000, 10_000, 1);
  }

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  /**
   * One of {@code slots} ports {@code width} apart from {@code from}, all below the kernel's range
   * of ephemeral ports (32768 and up on Linux), so that no outgoing connection of the test JVM can
   * take the port between this check and the server's bind.
   */
  private static int unusedPort(int from, int slots, int width) {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = from + width * ThreadLocalRandom.current().nextInt(slots);
      if (HANDED_OUT.add(port) && bindable(port)) return port;
    }
    throw new IllegalStateException("no free port from " + from);
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
