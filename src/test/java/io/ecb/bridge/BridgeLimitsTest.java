package io.ecb.bridge;

import io.ecb.delivery.Streams;
import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Configured limits: membership left to the backend, subscriptions per connection, the outbound queue. */
@Timeout(90)
class BridgeLimitsTest extends NodeTestBase {

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("threads").put("blockNonMembers", false);
    config.getJsonObject("limits").put("subscriptionsPerConnection", 3).put("outboundQueueBytes", 256 * 1024);
  }

  @Test
  void withBlockNonMembersOffTheBackendDecides() {
    String token = backend.addThread("t-open", "u1", "u2").getString("threadToken");
    BridgeClient u3 = bridge();
    // ECB forwards; the stub's getThread refuses non-members, and that answer passes through.
    assertThatThrownBy(() -> u3.request("ecb.getThread", member("u3", token), new JsonObject()).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.code()).isEqualTo("FORBIDDEN");
        assertThat(f.error.getString("message")).isEqualTo("not a member");
      });
    assertThat(backend.count("getThread")).isEqualTo(1);
    u3.register("ecb.thread.t-open", member("u3", token)).await();
    u3.close().await();
  }

  @Test
  void subscriptionsPerConnectionAreCapped() {
    BridgeClient c = bridge();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 4; i++) tokens.add(backend.addThread("t-cap" + i, "u1").getString("threadToken"));
    for (int i = 0; i < 3; i++) c.register("ecb.thread.t-cap" + i, member("u1", tokens.get(i))).await();
    assertThatThrownBy(() -> c.register("ecb.thread.t-cap3", member("u1", tokens.get(3))).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("RATE_LIMITED"));
    c.unregister("ecb.thread.t-cap0");
    c.register("ecb.thread.t-cap3", member("u1", tokens.get(3))).await();
    c.close().await();
  }

  @Test
  void aClientThatStopsReadingIsCutOffAndRecoversOnReconnect() {
    String token = backend.addThread("t-slow", "u1", "u2").getString("threadToken");
    BridgeClient slow = bridge();
    slow.register("ecb.thread.t-slow", member("u2", token)).await();
    JsonObject position = slow.request("ecb.getThread", member("u2", token), new JsonObject()).await();
    slow.pause();
    String filler = "y".repeat(32 * 1024);
    String stream = Streams.thread("t-slow");
    int sent = 0;
    // Publish until the node gives up on the socket: kernel buffers absorb the first megabytes, and
    // on a busy machine delivery runs behind the publishing loop, so the bound is generous.
    while (node.node.bridge().connectionCount() > 0 && sent < 10_000) {
      List<Future<?>> batch = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        batch.add(node.node.publisher().publish(stream, new JsonObject().put("kind", "message").put("threadId", "t-slow")
          .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", filler)))));
      }
      Future.all(batch).await();
      sent += 20;
    }
    assertThat(node.node.bridge().connectionCount()).as("slow socket closed after %d messages", sent).isZero();
    slow.resume();
    assertThat(slow.closed().await().getInteger("code")).isEqualTo(4001);

    BridgeClient back = bridge();
    back.register("ecb.thread.t-slow", member("u2", token)).await();
    JsonObject recovered = back.request("ecb.getThread", member("u2", token), new JsonObject()
      .put("sinceOffset", position.getLong("offset")).put("epoch", position.getString("epoch"))).await();
    // How many messages the socket buffers absorbed before the cut-off varies: the whole gap is
    // recovered when the history still holds it, and reported as lost otherwise.
    int history = node.config.history.size;
    assertThat(recovered.getBoolean("recovered")).as("gap of %d messages", sent).isEqualTo(sent <= history);
    assertThat(recovered.getJsonArray("missed")).hasSize(sent <= history ? sent : 0);
    // A client that saw all but the last 20 gets exactly those.
    long last = recovered.getLong("offset");
    JsonObject recent = back.request("ecb.getThread", member("u2", token), new JsonObject()
      .put("sinceOffset", last - 20).put("epoch", position.getString("epoch"))).await();
    assertThat(recent.getBoolean("recovered")).isTrue();
    assertThat(recent.getJsonArray("missed")).hasSize(20);
    back.close().await();
  }
}
