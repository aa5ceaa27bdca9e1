package io.ecb.ops;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** /health, /ready and /metrics of a running node. */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpsEndpointsTest extends NodeTestBase {

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("backend").put("circuitBreaker", new JsonObject().put("maxFailures", 2).put("resetMs", 120_000));
  }

  private HttpResponse<Buffer> get(String path) {
    return http.get(node.port(), "127.0.0.1", path).send().await();
  }

  @Test
  @Order(1)
  void healthAndReadinessAreUp() {
    HttpResponse<Buffer> health = get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.bodyAsJsonObject().getString("status")).isEqualTo("UP");
    HttpResponse<Buffer> ready = get("/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    JsonObject body = ready.bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("UP");
    assertThat(body.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("id")))
      .containsExactlyInAnyOrder("accepting", "cluster-safe", "event-bus", "backend-circuit");
  }

  @Test
  @Order(2)
  void metricsCountConnectionsDeliveriesAndWebhooks() {
    String token = backend.addThread("t-metrics", "u1", "u2").getString("threadToken");
    BridgeClient u2 = bridge();
    u2.register("ecb.thread.t-metrics", member("u2", token)).await();
    u2.request("ecb.sendMessage", member("u2", token), new JsonObject().put("message",
      new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "counted")))).await();
    u2.next("ecb.thread.t-metrics").await();
    String metrics = get("/metrics").bodyAsString();
    assertThat(metrics).contains("ecb_connections{transport=\"bridge\"} 1.0");
    assertThat(metrics).contains("ecb_subscriptions 1.0");
    assertThat(metrics).containsPattern("ecb_deliveries_total [1-9]");
    assertThat(metrics).contains("ecb_webhook_seconds_count{operation=\"addThreadMessage\",outcome=\"ok\"} 1");
    assertThat(metrics).contains("ecb_dropped_messages_total 0.0");
    assertThat(metrics).contains("ecb_recovered_messages_total");
    u2.close().await();
  }

  @Test
  @Order(3)
  void anOpenBackendCircuitMakesTheNodeUnready() {
    backend.on("getContacts", req -> Future.succeededFuture(StubBackend.Reply.error(500, "down")));
    BridgeClient c = bridge();
    for (int i = 0; i < 2; i++) {
      c.request("ecb.getContacts", user("u1"), new JsonObject()).otherwiseEmpty().await();
    }
    HttpResponse<Buffer> ready = get("/ready");
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.bodyAsJsonObject().getString("status")).isEqualTo("DOWN");
    assertThat(get("/health").statusCode()).isEqualTo(200);
    c.close().await();
  }
}
