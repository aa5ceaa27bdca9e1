package io.ecb.ops;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeProcess;
import io.ecb.support.StubBackend;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node started as its own process, the way operators run it, stopped with SIGTERM: connected
 * clients are told to reconnect elsewhere (close 4000), and the process leaves the cluster and exits.
 */
@Timeout(90)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GracefulShutdownTest {

  private Vertx vertx;
  private StubBackend backend;

  @BeforeAll
  void start() {
    vertx = Vertx.vertx();
    backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
  }

  @AfterAll
  void stop() {
    backend.close().await();
    vertx.close().await();
  }

  @Test
  void sigtermDrainsClientsAndExits() throws Exception {
    JsonObject config = TestNode.config(TestNode.newClusterName(), backend.url(), TestKeys.rsa());
    config.getJsonObject("shutdown").put("drainSeconds", 10);
    NodeProcess node = new NodeProcess(config);
    WebClient http = WebClient.create(vertx);
    try {
      node.launch();
      node.ready(vertx, http, 60_000).await();
      String token = backend.addThread("t-term", "u1", "u2").getString("threadToken");
      BridgeClient client = BridgeClient.connect(vertx, node.port).await();
      client.register("ecb.thread.t-term", new JsonObject().put("userToken", backend.userToken("u1")).put("threadToken", token)).await();

      Future<Integer> exited = node.terminate(); // SIGTERM
      JsonObject closed = client.closed().await();
      assertThat(closed.getInteger("code")).isEqualTo(4000);
      assertThat(closed.getString("reason")).contains("reconnect");
      assertThat(exited.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).as("process exits after draining").isNotNull();
      List<String> output = node.output().lines().toList();
      assertThat(output).anyMatch(l -> l.contains("shutting down"));
      assertThat(output).anyMatch(l -> l.contains("left the cluster"));
      assertThat(output).noneMatch(l -> l.contains("did not finish"));
    } finally {
      node.destroy();
    }
  }
}
