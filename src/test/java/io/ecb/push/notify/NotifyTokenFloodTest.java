package io.ecb.push.notify;

import io.ecb.bridge.CloseReason;
import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** SPEC section 8: bad notify socket tokens count as failed token checks; a flooding connection is closed. */
@Timeout(60)
class NotifyTokenFloodTest extends NodeTestBase {

  @Test
  void aConnectionRegisteringWithBadSocketTokensIsClosedWhileOthersAreServed() {
    long before = node.node.chat().tokens().failedChecks().failures.sum();
    long start = System.nanoTime();
    BridgeClient attacker = BridgeClient.connectFrom(vertx, node.port(), "127.0.0.7").await();
    for (int i = 0; i < 500; i++) {
      attacker.send(new JsonObject().put("type", "register").put("address", "ecb.notify.news")
        .put("headers", new JsonObject().put("token", "garbage-" + i).put("keycloakID", "u1")));
    }
    assertThat(attacker.closed().await().getInteger("code")).isEqualTo(CloseReason.AUTH_FAILURES.code);
    long failures = node.node.chat().tokens().failedChecks().failures.sum() - before;
    assertThat(failures).isBetween(20L, (long) Math.ceil(20 * ((System.nanoTime() - start) / 1e9 + 2)));

    // A client from another address gets its socket token and registers with it.
    HttpResponse<Buffer> r = http.get(node.port(), "127.0.0.1", "/authorize")
      .putHeader("Authorization", "Bearer " + backend.userToken("u2", new JsonArray().add("news"))).send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    BridgeClient control = BridgeClient.connectFrom(vertx, node.port(), "127.0.0.2").await();
    control.register("ecb.notify.news", new JsonObject().put("token", r.bodyAsJsonObject().getString("token")).put("keycloakID", "u2")).await();
    control.close().await();
  }
}
