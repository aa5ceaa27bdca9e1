package io.ecb.bridge;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The six operations over the SockJS bridge, as a client sees them, against a signature-checking backend. */
class BridgeOperationsTest extends NodeTestBase {

  @Test
  void getUserTokenReturnsTheVerifiedTokenAndUser() {
    BridgeClient c = bridge();
    JsonObject reply = c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", "access-u1")).await();
    assertThat(reply.getJsonObject("user")).isEqualTo(new JsonObject().put("userId", "u1").put("displayName", "User 1"));
    assertThat(reply.getString("userToken")).isNotBlank();
    StubBackend.Call call = backend.last("getUserToken");
    assertThat(call.signatureValid()).isTrue();
    assertThat(call.body()).isEqualTo(new JsonObject().put("accessToken", "access-u1"));
    assertThat(call.headers().get("ECB-Request-Id")).matches("[0-9a-f-]{36}");
    c.close().await();
  }

  @Test
  void getUserTokenPassesTheBackendRefusalThrough() {
    BridgeClient c = bridge();
    assertThatThrownBy(() -> c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", "nope")).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(401);
        assertThat(f.code()).isEqualTo("UNAUTHORIZED");
        assertThat(f.error.getString("message")).isEqualTo("unknown accessToken");
      });
    c.close().await();
  }

  @Test
  void getUserTokenRefusesATokenTheBackendSignedBadly() {
    backend.on("getUserToken", req -> io.vertx.core.Future.succeededFuture(StubBackend.Reply.ok(
      new JsonObject().put("userToken", backend.userToken("u1") + "x"))));
    BridgeClient c = bridge();
    assertThatThrownBy(() -> c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", "access-u1")).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("BACKEND_ERROR"));
    c.close().await();
  }

  @Test
  void getContactsPagesTheBackendList() {
    BridgeClient c = bridge();
    JsonObject page = c.request("ecb.getContacts", user("u1"), new JsonObject().put("pageStartIndex", 1).put("pageSize", 2)).await();
    assertThat(page.getInteger("pageStartIndex")).isEqualTo(1);
    assertThat(page.getInteger("pageSize")).isEqualTo(2);
    assertThat(page.getInteger("totalItems")).isEqualTo(4);
    assertThat(page.getJsonArray("items").stream().map(u -> ((JsonObject) u).getString("userId"))).containsExactly("u3", "u4");
    assertThat(page.getJsonObject("previousPage")).isEqualTo(new JsonObject().put("pageStartIndex", 0).put("pageSize", 2));
    assertThat(page.getJsonObject("nextPage")).isEqualTo(new JsonObject().put("pageStartIndex", 3).put("pageSize", 2));
    assertThat(backend.last("getContacts").body().getJsonObject("user").getString("userId")).isEqualTo("u1");
    c.close().await();
  }

  @Test
  void getThreadsVerifiesEveryThreadTokenOfThePage() {
    backend.addThread("ta", "u1", "u2");
    backend.addThread("tb", "u1", "u3");
    BridgeClient c = bridge();
    JsonObject page = c.request("ecb.getThreads", user("u1"), new JsonObject()).await();
    assertThat(page.getInteger("totalItems")).isGreaterThanOrEqualTo(2);
    assertThat(page.getJsonArray("items").getJsonObject(0).getString("threadToken")).isNotBlank();

    backend.on("getThreads", req -> io.vertx.core.Future.succeededFuture(StubBackend.Reply.ok(new JsonArray()
      .add(backend.thread("ta").put("threadToken", backend.threadToken("other", "u1"))))));
    assertThatThrownBy(() -> c.request("ecb.getThreads", user("u1"), new JsonObject()).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("BACKEND_ERROR"));
    c.close().await();
  }

  @Test
  void createThreadSendsTheRequestAndAnnouncesTheThreadToTheOtherMembers() {
    BridgeClient u2 = bridge();
    u2.register("ecb.user.u2", user("u2")).await();
    BridgeClient c = bridge();
    JsonObject reply = c.request("ecb.createThread", user("u1"), new JsonObject()
      .put("memberIds", new JsonArray().add("u2"))
      .put("data", new JsonObject().put("topic", "billing"))
      .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hello")))).await();
    JsonObject thread = reply.getJsonObject("thread");
    assertThat(reply.getJsonArray("messages").getJsonObject(0).getJsonObject("data").getString("messageText")).isEqualTo("hello");
    JsonObject sent = backend.last("createThread").body();
    assertThat(sent.getJsonArray("memberIds")).isEqualTo(new JsonArray().add("u2"));
    assertThat(sent.getJsonObject("data")).isEqualTo(new JsonObject().put("topic", "billing"));
    assertThat(sent.getJsonObject("user").getString("userId")).isEqualTo("u1");

    JsonObject announced = u2.next("ecb.user.u2").await().getJsonObject("body");
    assertThat(announced.getString("kind")).isEqualTo("threadCreated");
    assertThat(announced.getJsonObject("thread").getString("threadId")).isEqualTo(thread.getString("threadId"));
    assertThat(announced.getLong("offset")).isPositive();
    c.close().await();
    u2.close().await();
  }

  @Test
  void createThreadValidatesItsInput() {
    BridgeClient c = bridge();
    JsonObject text = new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "x"));
    for (JsonObject bad : new JsonObject[]{
      new JsonObject().put("message", text),
      new JsonObject().put("memberIds", new JsonArray()).put("message", text),
      new JsonObject().put("memberIds", new JsonArray().add(7)).put("message", text),
      new JsonObject().put("memberIds", new JsonArray().add("u2")),
      new JsonObject().put("memberIds", new JsonArray().add("u2")).put("message", new JsonObject().put("type", "text").put("data", new JsonObject())),
    }) {
      assertThatThrownBy(() -> c.request("ecb.createThread", user("u1"), bad).await())
        .as(bad.encode())
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
          assertThat(f.failureCode).isEqualTo(400);
          assertThat(f.code()).isEqualTo("BAD_REQUEST");
        });
    }
    assertThat(backend.count("createThread")).isZero();
    c.close().await();
  }

  @Test
  void getThreadAndSendMessage() {
    JsonObject thread = backend.addThread("t-send", "u1", "u2");
    String token = thread.getString("threadToken");
    BridgeClient c = bridge();
    JsonObject before = c.request("ecb.getThread", member("u1", token), new JsonObject()).await();
    assertThat(before.getJsonObject("thread").getString("threadId")).isEqualTo("t-send");
    assertThat(before.getLong("offset")).isZero();
    assertThat(before.getString("epoch")).isNotBlank();
    assertThat(backend.last("getThread").body()).isEqualTo(new JsonObject()
      .put("user", new JsonObject().put("userId", "u1").put("displayName", "User 1")).put("threadId", "t-send"));

    JsonObject sent = c.request("ecb.sendMessage", member("u1", token), new JsonObject()
      .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hi")))).await();
    assertThat(sent.getLong("offset")).isEqualTo(1);
    assertThat(sent.getJsonObject("message").getString("fromUserId")).isEqualTo("u1");
    assertThat(sent.getJsonObject("thread").getString("threadId")).isEqualTo("t-send");
    JsonObject webhook = backend.last("addThreadMessage").body();
    assertThat(webhook.getString("threadId")).isEqualTo("t-send");
    assertThat(webhook.getJsonObject("message")).isEqualTo(new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hi")));

    JsonObject after = c.request("ecb.getThread", member("u1", token), new JsonObject()).await();
    assertThat(after.getLong("offset")).isEqualTo(1);
    assertThat(after.getJsonArray("messages")).hasSize(1);
    c.close().await();
  }

  @Test
  void customMessageTypesPassThrough() {
    String token = backend.addThread("t-custom", "u1", "u2").getString("threadToken");
    BridgeClient c = bridge();
    JsonObject doc = new JsonObject().put("type", "document").put("data", new JsonObject().put("title", "Q3").put("downloadUrl", "https://x/y"));
    JsonObject sent = c.request("ecb.sendMessage", member("u1", token), new JsonObject().put("message", doc)).await();
    assertThat(sent.getJsonObject("message").getJsonObject("data").getString("title")).isEqualTo("Q3");
    c.close().await();
  }
}
