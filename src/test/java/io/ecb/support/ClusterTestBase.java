package io.ecb.support;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;

/**
 * Several clustered ECB nodes in this JVM (Hazelcast TCP join on 127.0.0.1) sharing one stub
 * customer backend, per test class; {@code vertx} and {@code http} are the clients' own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ClusterTestBase {

  protected Vertx vertx;
  protected WebClient http;
  protected StubBackend backend;
  protected final List<TestNode> nodes = new ArrayList<>();

  protected int nodeCount() {
    return 2;
  }

  /** Adjusts the config of node {@code index} before it starts. */
  protected void configure(int index, JsonObject config) {
  }

  @BeforeAll
  void startCluster() {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx);
    backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
    String cluster = TestNode.newClusterName();
    for (int i = 0; i < nodeCount(); i++) {
      JsonObject config = TestNode.config(cluster, backend.url(), TestKeys.rsa());
      configure(i, config);
      nodes.add(TestNode.start(config).await());
    }
  }

  @AfterAll
  void stopCluster() {
    // One at a time, so that each leave is a clean one.
    for (TestNode n : nodes) n.close().otherwiseEmpty().await();
    backend.close().await();
    vertx.close().await();
  }

  protected int port(int node) {
    return nodes.get(node).port();
  }
}
