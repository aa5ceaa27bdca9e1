package io.ecb.chat;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The clientMessageId store on a real node: it keeps a small record per send, a retry gets the
 * first messageId and offset without a second webhook (with the message from history while history
 * holds it), and one user's records are bounded.
 */
@Timeout(60)
class SendDedupTest extends NodeTestBase {

  private static final int PER_USER = 3;

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("history").put("size", 3);
    config.getJsonObject("limits").put("dedupPerUser", PER_USER);
  }

  private static JsonObject text(String s, String clientMessageId) {
    JsonObject body = new JsonObject().put("message", new JsonObject().put("type", "text")
      .put("data", new JsonObject().put("messageText", s)));
    return clientMessageId == null ? body : body.put("clientMessageId", clientMessageId);
  }

  private JsonObject send(BridgeClient c, String userId, String token, JsonObject body) {
    return c.request("ecb.sendMessage", member(userId, token), body).await();
  }

  @Test
  void aRetryOfALargeMessageGetsTheFirstResultFromHistoryAndOnlyASmallRecordIsKept() {
    String token = backend.addThread("t-big", "u1", "u2").getString("threadToken");
    BridgeClient c = bridge();
    String big = "x".repeat(30_000);
    List<JsonObject> firsts = new ArrayList<>();
    for (int i = 0; i < PER_USER; i++) firsts.add(send(c, "u1", token, text(big + i, "big-" + i)));
    BridgeClient other = bridge();
    JsonObject retry = send(other, "u1", token, text(big + 2, "big-2"));
    assertThat(retry.getJsonObject("message")).isEqualTo(firsts.get(2).getJsonObject("message"));
    assertThat(retry.getJsonObject("message").getJsonObject("data").getString("messageText")).isEqualTo(big + 2);
    assertThat(retry.getLong("offset")).isEqualTo(firsts.get(2).getLong("offset"));
    assertThat(retry.getJsonObject("thread")).isEqualTo(new JsonObject().put("threadId", "t-big").put("threadToken", token));
    assertThat(backend.count("addThreadMessage")).isEqualTo(PER_USER);

    List<String> records = node.node.chat().dedup().records("u1");
    assertThat(records).hasSize(PER_USER);
    for (String r : records) {
      assertThat(r.length()).as(r).isLessThan(200);
      assertThat(r).doesNotContain("xxxx");
    }
    c.close().await();
    other.close().await();
  }

  @Test
  void aRetryWhoseMessageLeftHistoryStillGetsTheFirstMessageIdAndOffset() {
    String token = backend.addThread("t-old", "u3", "u2").getString("threadToken");
    BridgeClient c = bridge();
    JsonObject first = send(c, "u3", token, text("old", "old-1"));
    // history.size is 3: three more messages push it out.
    for (int i = 0; i < 3; i++) send(c, "u2", token, text("newer " + i, null));
    JsonObject retry = send(c, "u3", token, text("old", "old-1"));
    assertThat(retry.getLong("offset")).isEqualTo(first.getLong("offset"));
    JsonObject message = first.getJsonObject("message");
    assertThat(retry.getJsonObject("message")).isEqualTo(new JsonObject()
      .put("messageId", message.getString("messageId"))
      .put("creationTime", message.getLong("creationTime"))
      .put("type", "text"));
    assertThat(backend.count("addThreadMessage")).isEqualTo(4);
    c.close().await();
  }

  @Test
  void oneUsersRecordsAreBoundedTheOldestGivingWay() {
    String token = backend.addThread("t-many", "u4", "u2").getString("threadToken");
    BridgeClient c = bridge();
    List<JsonObject> firsts = new ArrayList<>();
    for (int i = 0; i <= PER_USER; i++) firsts.add(send(c, "u4", token, text("m" + i, "many-" + i)));
    assertThat(node.node.chat().dedup().records("u4")).hasSize(PER_USER);
    // The newest ones are still deduplicated...
    assertThat(send(c, "u4", token, text("m" + PER_USER, "many-" + PER_USER)).getLong("offset"))
      .isEqualTo(firsts.get(PER_USER).getLong("offset"));
    assertThat(backend.count("addThreadMessage")).isEqualTo(PER_USER + 1);
    // ...the oldest gave way: its retry is a new send.
    JsonObject again = send(c, "u4", token, text("m0", "many-0"));
    assertThat(again.getLong("offset")).isEqualTo(firsts.get(PER_USER).getLong("offset") + 1);
    assertThat(backend.count("addThreadMessage")).isEqualTo(PER_USER + 2);
    assertThat(node.node.chat().dedup().records("u4")).hasSize(PER_USER);
    c.close().await();
  }

  @Test
  void sendsInFlightAreBoundedPerUserAndARetryInFlightIsAConflict() {
    String token = backend.addThread("t-slow", "u5", "u2").getString("threadToken");
    Promise<Void> release = Promise.promise();
    backend.on("addThreadMessage", req -> release.future().map(v -> StubBackend.Reply.ok(new JsonObject()
      .put("thread", backend.thread("t-slow"))
      .put("message", new JsonObject().put("messageId", UUID.randomUUID().toString()).put("fromUserId", "u5")
        .put("creationTime", System.currentTimeMillis()).put("type", "text")
        .put("data", req.getJsonObject("message").getValue("data"))))));
    BridgeClient c = bridge();
    List<Future<JsonObject>> inFlight = new ArrayList<>();
    for (int i = 0; i < PER_USER; i++) {
      inFlight.add(c.request("ecb.sendMessage", member("u5", token), text("slow" + i, "slow-" + i)));
    }
    // Wait until every one of them reached the backend, so all are marked pending.
    while (backend.count("addThreadMessage") < PER_USER) {
      c.request("ecb.getThread", member("u2", token), new JsonObject()).await();
    }
    assertThatThrownBy(() -> send(c, "u5", token, text("one more", "slow-extra")))
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(429);
        assertThat(f.code()).isEqualTo("RATE_LIMITED");
      });
    assertThatThrownBy(() -> send(c, "u5", token, text("slow0", "slow-0")))
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("CONFLICT"));
    release.complete();
    for (Future<JsonObject> f : inFlight) f.await();
    // With room again, the refused one goes through.
    send(c, "u5", token, text("one more", "slow-extra"));
    assertThat(backend.count("addThreadMessage")).isEqualTo(PER_USER + 1);
    c.close().await();
  }
}
