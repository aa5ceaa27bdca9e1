package io.ecb.bridge;

import io.ecb.delivery.Streams;
import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replies count towards the outbound bound: a client that keeps asking and never reads is cut off
 * like a slow subscriber. A node of its own, with a small request budget, so the backend sees few
 * calls while each reply is large.
 */
@Timeout(90)
class BridgeUnreadRepliesTest extends NodeTestBase {

  private static final int MESSAGES = 16;

  @Override
  protected void configure(JsonObject config) {
    // Pings keep arriving, but a session busy with large replies must not be closed for them first.
    config.getJsonObject("limits").put("outboundQueueBytes", 256 * 1024).put("requestsPerSecond", 5).put("requestBurst", 20)
      .put("pingTimeoutMs", 60_000);
  }

  @Test
  void aClientThatSendsRequestsButNeverReadsIsCutOff() {
    String token = backend.addThread("t-unread", "u1", "u2").getString("threadToken");
    BridgeClient reader = bridge();
    JsonObject position = reader.request("ecb.getThread", member("u2", token), new JsonObject()).await();
    String filler = "z".repeat(64 * 1024);
    for (int i = 0; i < MESSAGES; i++) {
      node.node.publisher().publish(Streams.thread("t-unread"), new JsonObject().put("kind", "message").put("threadId", "t-unread")
        .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", filler)))).await();
    }
    // Each reply carries the whole history, about 1 MiB.
    JsonObject since = new JsonObject().put("sinceOffset", position.getLong("offset")).put("epoch", position.getString("epoch"));
    assertThat(reader.request("ecb.getThread", member("u2", token), since).await().getJsonArray("missed")).hasSize(MESSAGES);
    reader.close().await();
    BridgeClient greedy = bridge();
    greedy.pause();
    int sent = 0;
    // Ask until the node gives up on the socket; the kernel buffers absorb the first megabytes.
    while (node.node.bridge().connectionCount() > 0 && sent < 2_000) {
      greedy.request("ecb.getThread", member("u2", token), since);
      sent++;
      // A round trip to the node between batches lets it answer what was sent so far.
      if (sent % 20 == 0) http.get(node.port(), "127.0.0.1", "/health").send().await();
    }
    assertThat(node.node.bridge().connectionCount()).as("socket closed after %d requests", sent).isZero();
    // Cut off as a slow consumer (4001), not by the ping sweep. The close frame itself waits behind
    // megabytes the client never reads, so the node's count is the witness, not the client.
    assertThat(node.node.bridge().slowConsumers.sum()).isEqualTo(1);
    greedy.close();
  }
}
