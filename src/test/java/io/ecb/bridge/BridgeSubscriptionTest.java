package io.ecb.bridge;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Subscriptions over the bridge: who may follow what, what arrives, and what the bridge refuses. */
@Timeout(60)
class BridgeSubscriptionTest extends NodeTestBase {

  private static JsonObject text(String s) {
    return new JsonObject().put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", s)));
  }

  @Test
  void membersReceiveMessagesAndTypingInOrder() {
    String token = backend.addThread("t-live", "u1", "u2").getString("threadToken");
    BridgeClient u2 = bridge();
    u2.register("ecb.thread.t-live", member("u2", token)).await();
    BridgeClient u1 = bridge();
    for (int i = 1; i <= 3; i++) u1.request("ecb.sendMessage", member("u1", token), text("m" + i)).await();
    for (int i = 1; i <= 3; i++) {
      JsonObject body = u2.next("ecb.thread.t-live").await().getJsonObject("body");
      assertThat(body.getString("kind")).isEqualTo("message");
      assertThat(body.getString("threadId")).isEqualTo("t-live");
      assertThat(body.getLong("offset")).isEqualTo(i);
      assertThat(body.getString("epoch")).isNotBlank();
      assertThat(body.getJsonObject("message").getJsonObject("data").getString("messageText")).isEqualTo("m" + i);
    }
    u1.request("ecb.sendMessage", member("u1", token), new JsonObject()
      .put("message", new JsonObject().put("type", "typing").put("data", true))).await();
    JsonObject typing = u2.next("ecb.thread.t-live").await().getJsonObject("body");
    assertThat(typing).isEqualTo(new JsonObject().put("kind", "typing").put("threadId", "t-live").put("fromUserId", "u1").put("data", true));
    assertThat(backend.count("addThreadMessage")).isEqualTo(3);
    u1.close().await();
    u2.close().await();
  }

  @Test
  void typingIsRateLimitedAndNeverStored() {
    String token = backend.addThread("t-typing", "u1", "u2").getString("threadToken");
    BridgeClient u1 = bridge();
    JsonObject typing = new JsonObject().put("message", new JsonObject().put("type", "typing").put("data", true));
    u1.request("ecb.sendMessage", member("u1", token), typing).await();
    assertThatThrownBy(() -> u1.request("ecb.sendMessage", member("u1", token), typing).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(429);
        assertThat(f.code()).isEqualTo("RATE_LIMITED");
      });
    assertThatThrownBy(() -> u1.request("ecb.sendMessage", member("u1", token), new JsonObject()
      .put("message", new JsonObject().put("type", "typing").put("data", "yes"))).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("BAD_REQUEST"));
    JsonObject thread = u1.request("ecb.getThread", member("u1", token), new JsonObject()).await();
    assertThat(thread.getLong("offset")).isZero();
    assertThat(backend.count("addThreadMessage")).isZero();
    u1.close().await();
  }

  @Test
  void aRetriedSendWithTheSameClientMessageIdReachesTheBackendOnce() {
    String token = backend.addThread("t-dedup", "u1", "u2").getString("threadToken");
    BridgeClient u1 = bridge();
    JsonObject first = u1.request("ecb.sendMessage", member("u1", token), text("once").put("clientMessageId", "c-1")).await();
    BridgeClient again = bridge();
    JsonObject second = again.request("ecb.sendMessage", member("u1", token), text("once").put("clientMessageId", "c-1")).await();
    // The same message and offset; the thread is the retry's own threadToken, not the backend's object.
    assertThat(second.getJsonObject("message")).isEqualTo(first.getJsonObject("message"));
    assertThat(second.getLong("offset")).isEqualTo(first.getLong("offset"));
    assertThat(second.getJsonObject("thread")).isEqualTo(new JsonObject().put("threadId", "t-dedup").put("threadToken", token));
    assertThat(backend.count("addThreadMessage")).isEqualTo(1);
    assertThat(backend.last("addThreadMessage").body().getString("clientMessageId")).isEqualTo("c-1");
    // Another user's same id, or another id, is a new message.
    u1.request("ecb.sendMessage", member("u1", token), text("twice").put("clientMessageId", "c-2")).await();
    u1.request("ecb.sendMessage", member("u2", token), text("once").put("clientMessageId", "c-1")).await();
    assertThat(backend.count("addThreadMessage")).isEqualTo(3);
    u1.close().await();
    again.close().await();
  }

  @Test
  void nonMembersAreRefusedEverywhere() {
    String token = backend.addThread("t-private", "u1", "u2").getString("threadToken");
    BridgeClient u3 = bridge();
    assertThatThrownBy(() -> u3.register("ecb.thread.t-private", member("u3", token)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(403);
        assertThat(f.code()).isEqualTo("FORBIDDEN");
      });
    for (String op : new String[]{"ecb.getThread", "ecb.sendMessage"}) {
      assertThatThrownBy(() -> u3.request(op, member("u3", token), text("x")).await())
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("FORBIDDEN"));
    }
    assertThat(backend.count("getThread") + backend.count("addThreadMessage")).isZero();
    u3.close().await();
  }

  @Test
  void theThreadTokenMustNameTheRegisteredThread() {
    String token = backend.addThread("t-one", "u1", "u2").getString("threadToken");
    backend.addThread("t-two", "u1", "u2");
    BridgeClient u1 = bridge();
    assertThatThrownBy(() -> u1.register("ecb.thread.t-two", member("u1", token)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("FORBIDDEN"));
    assertThatThrownBy(() -> u1.register("ecb.thread.t-one", user("u1")).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("UNAUTHORIZED"));
    u1.close().await();
  }

  @Test
  void aUserStreamIsForItsOwnerAndChannelsFollowTheClaim() {
    BridgeClient u1 = bridge();
    u1.register("ecb.user.u1", user("u1")).await();
    assertThatThrownBy(() -> u1.register("ecb.user.u2", user("u1")).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("FORBIDDEN"));
    JsonObject withNews = new JsonObject().put("userToken", backend.userToken("u1", new JsonArray().add("news")));
    u1.register("ecb.channel.news", withNews).await();
    assertThatThrownBy(() -> u1.register("ecb.channel.sports", withNews).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("FORBIDDEN"));
    u1.close().await();
  }

  @Test
  void theBridgeRefusesWhatTheSpecDoesNotList() {
    String token = backend.addThread("t-refuse", "u1", "u2").getString("threadToken");
    BridgeClient c = bridge();
    long refusedBefore = node.node.bridge().refused.sum();
    // A client may never publish to a thread itself, nor send to stream or unknown addresses.
    c.send(new JsonObject().put("type", "publish").put("address", "ecb.thread.t-refuse").put("headers", member("u1", token))
      .put("body", new JsonObject().put("kind", "message")));
    for (String address : new String[]{"ecb.thread.t-refuse", "ecb.user.u1", "ecb.internal", "vertx.anything"}) {
      assertThatThrownBy(() -> c.request(address, member("u1", token), new JsonObject()).await())
        .as(address)
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("FORBIDDEN"));
    }
    for (String address : new String[]{"ecb.getThread", "ecb.sendMessage", "ecb.internal", "vertx.anything", "ecb.user."}) {
      assertThatThrownBy(() -> c.register(address, member("u1", token)).await())
        .as(address)
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("FORBIDDEN"));
    }
    assertThat(node.node.bridge().refused.sum() - refusedBefore).isGreaterThanOrEqualTo(9);
    // Whatever was refused, nothing reached the backend or the thread.
    JsonObject thread = c.request("ecb.getThread", member("u1", token), new JsonObject()).await();
    assertThat(thread.getLong("offset")).isZero();
    assertThat(backend.count("addThreadMessage")).isZero();
    c.close().await();
  }

  @Test
  void malformedFramesGetAnErrorNotADisconnect() {
    BridgeClient c = bridge();
    c.send(new JsonObject().put("address", "ecb.getContacts"));
    c.send(new JsonObject().put("type", "send"));
    c.send(new JsonObject().put("type", "shout").put("address", "x"));
    assertThatThrownBy(() -> c.request("ecb.getContacts", user("u1"), "not an object").await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("BAD_REQUEST"));
    assertThatThrownBy(() -> c.request("ecb.getContacts", user("u1"), new JsonObject().put("pageSize", 500)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("BAD_REQUEST"));
    assertThat(c.errors).extracting(f -> f.getString("body")).contains("missing_type", "missing_address", "invalid_type");
    // Still connected and serving.
    assertThat(c.request("ecb.getContacts", user("u1"), new JsonObject()).await().getInteger("totalItems")).isEqualTo(4);
    c.close().await();
  }

  @Test
  void anOversizedFrameIsRefusedWithPayloadTooLarge() {
    BridgeClient c = bridge();
    String big = "x".repeat(70_000);
    assertThatThrownBy(() -> c.request("ecb.getContacts", user("u1"), new JsonObject().put("pad", big)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(413);
        assertThat(f.code()).isEqualTo("PAYLOAD_TOO_LARGE");
      });
    c.close().await();
  }

  @Test
  void theFrameLimitCountsUtf8BytesNotCharacters() {
    BridgeClient c = bridge();
    // 25,000 characters, 75,000 bytes: over the 64 KiB limit only when counted in bytes.
    String big = "\u20ac".repeat(25_000);
    assertThatThrownBy(() -> c.request("ecb.getContacts", user("u1"), new JsonObject().put("pad", big)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("PAYLOAD_TOO_LARGE"));
    c.close().await();
  }

  @Test
  void unregisterStopsDelivery() {
    String token = backend.addThread("t-unreg", "u1", "u2").getString("threadToken");
    BridgeClient u2 = bridge();
    u2.register("ecb.thread.t-unreg", member("u2", token)).await();
    u2.register("ecb.user.u2", user("u2")).await();
    u2.unregister("ecb.thread.t-unreg");
    // The round trip proves the unregister was handled before the next send.
    u2.request("ecb.getThread", member("u2", token), new JsonObject()).await();
    BridgeClient u1 = bridge();
    u1.request("ecb.sendMessage", member("u1", token), text("after")).await();
    // A user event sent after the message arrives; the thread message must not have.
    u1.request("ecb.createThread", user("u1"), new JsonObject().put("memberIds", new JsonArray().add("u2"))
      .put("message", text("x").getJsonObject("message"))).await();
    u2.next("ecb.user.u2").await();
    assertThat(u2.pending("ecb.thread.t-unreg")).isZero();
    u1.close().await();
    u2.close().await();
  }

  @Test
  void rawWebSocketSpeaksTheSameProtocol() {
    String token = backend.addThread("t-raw", "u1", "u2").getString("threadToken");
    BridgeClient raw = BridgeClient.connect(vertx, node.port(), true, null).await();
    raw.register("ecb.thread.t-raw", member("u2", token)).await();
    bridge().request("ecb.sendMessage", member("u1", token), text("to raw")).await();
    assertThat(raw.next("ecb.thread.t-raw").await().getJsonObject("body").getLong("offset")).isEqualTo(1);
    raw.close().await();
  }

  @Test
  void aForeignOriginCannotOpenABridgeSocket() {
    assertThatThrownBy(() -> BridgeClient.connect(vertx, node.port(), false, "https://evil.example").await())
      .hasMessageContaining("403");
    BridgeClient same = BridgeClient.connect(vertx, node.port(), false, "http://127.0.0.1:" + node.port()).await();
    same.close().await();
  }

  @Test
  void aSocketThatStopsPingingIsClosed() {
    BridgeClient c = bridge();
    c.stopPinging();
    JsonObject closed = c.closed().await();
    assertThat(closed.getInteger("code")).isEqualTo(4002);
  }
}
