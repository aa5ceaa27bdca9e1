package io.ecb.chat;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Read receipts with real clients: markRead over the bridge and HTTP calls the signed markRead
 * webhook, and the receipt goes to the thread's followers and into its history with its own
 * offset; what the thread has not reached, and a backend without receipts, are refused clearly.
 */
@Timeout(60)
class ReadReceiptsTest extends NodeTestBase {

  private static JsonObject text(String s) {
    return new JsonObject().put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", s)));
  }

  private static JsonObject read(long offset) {
    return new JsonObject().put("readOffset", offset);
  }

  private HttpResponse<Buffer> httpRead(String threadId, String userId, String threadToken, JsonObject body) {
    return http.post(node.port(), "127.0.0.1", "/api/v1/threads/" + threadId + "/read")
      .putHeader("Authorization", "Bearer " + backend.userToken(userId)).putHeader("X-Thread-Token", threadToken)
      .sendJsonObject(body).await();
  }

  /** The next payload on {@code address} of kind {@code kind}, skipping others (presence). */
  private static JsonObject next(BridgeClient c, String address, String kind) {
    while (true) {
      JsonObject body = c.next(address).await().getJsonObject("body");
      if (kind.equals(body.getString("kind"))) return body;
    }
  }

  @Test
  void aReceiptReachesTheBackendSignedAndTheFollowersWithItsOwnOffset() {
    String t = "t-read";
    String address = "ecb.thread." + t;
    String token = backend.addThread(t, "u1", "u2").getString("threadToken");
    BridgeClient u1 = bridge();
    u1.register(address, member("u1", token)).await();
    BridgeClient u2 = bridge();
    for (int i = 1; i <= 2; i++) u1.request("ecb.sendMessage", member("u1", token), text("m" + i)).await();
    String epoch = next(u1, address, "message").getString("epoch");

    JsonObject reply = u2.request("ecb.markRead", member("u2", token), read(2)).await();
    assertThat(reply).isEqualTo(new JsonObject().put("threadId", t).put("userId", "u2").put("readOffset", 2L).put("offset", 3L).put("epoch", epoch));
    StubBackend.Call call = backend.last("markRead");
    assertThat(call.signatureValid()).isTrue();
    assertThat(call.body()).isEqualTo(new JsonObject().put("user", new JsonObject().put("userId", "u2").put("displayName", "User 2"))
      .put("threadId", t).put("readOffset", 2));

    JsonObject receipt = new JsonObject().put("kind", "read").put("threadId", t).put("userId", "u2").put("readOffset", 2)
      .put("offset", 3).put("epoch", epoch);
    assertThat(next(u1, address, "read")).isEqualTo(receipt);
    // Stored like a message: a client that was away recovers it.
    JsonObject rec = u1.request("ecb.recover", member("u1", token), new JsonObject().put("address", address)
      .put("sinceOffset", 2).put("epoch", epoch)).await();
    assertThat(rec.getJsonArray("missed").getList()).hasSize(1);
    assertThat(rec.getJsonArray("missed").getJsonObject(0)).isEqualTo(receipt);

    // A lower or repeated readOffset is the backend's to judge; over HTTP too.
    HttpResponse<Buffer> again = httpRead(t, "u2", token, read(1));
    assertThat(again.statusCode()).as(again.bodyAsString()).isEqualTo(200);
    assertThat(again.bodyAsJsonObject().getLong("readOffset")).isEqualTo(1);
    assertThat(again.bodyAsJsonObject().getLong("offset")).isEqualTo(4);
    assertThat(next(u1, address, "read").getLong("offset")).isEqualTo(4);
    assertThat(backend.count("markRead")).isEqualTo(2);
    u1.close().await();
    u2.close().await();
  }

  @Test
  void aReadOffsetPastTheThreadOrAMissingOneIsABadRequest() {
    String t = "t-read-ahead";
    String token = backend.addThread(t, "u1", "u2").getString("threadToken");
    BridgeClient u1 = bridge();
    u1.request("ecb.sendMessage", member("u1", token), text("one")).await();
    for (JsonObject body : List.of(read(2), new JsonObject(), new JsonObject().put("readOffset", -1), new JsonObject().put("readOffset", "x"))) {
      assertThatThrownBy(() -> u1.request("ecb.markRead", member("u1", token), body).await()).as(body.encode())
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
          assertThat(f.failureCode).isEqualTo(400);
          assertThat(f.code()).isEqualTo("BAD_REQUEST");
        });
    }
    HttpResponse<Buffer> r = httpRead(t, "u1", token, read(5));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("BAD_REQUEST");
    assertThat(backend.count("markRead")).isZero();
    u1.close().await();
  }

  @Test
  void aBackendWithoutReceiptsGetsAClearNotFound() {
    backend.on("markRead", req -> Future.succeededFuture(StubBackend.Reply.error(404, "unknown operation")));
    String t = "t-read-unsupported";
    String token = backend.addThread(t, "u1", "u2").getString("threadToken");
    BridgeClient u1 = bridge();
    u1.request("ecb.sendMessage", member("u1", token), text("one")).await();
    assertThatThrownBy(() -> u1.request("ecb.markRead", member("u1", token), read(1)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(404);
        assertThat(f.code()).isEqualTo("NOT_FOUND");
        assertThat(f.error.getString("message")).isEqualTo("read receipts are not supported by this backend");
      });
    HttpResponse<Buffer> r = httpRead(t, "u1", token, read(1));
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("not supported by this backend");
    // Nothing was stored.
    assertThat(u1.request("ecb.getThread", member("u1", token), new JsonObject()).await().getLong("offset")).isEqualTo(1);
    u1.close().await();
  }

  @Test
  void nonMembersMayNotMarkRead() {
    String t = "t-read-closed";
    String token = backend.addThread(t, "u1", "u2").getString("threadToken");
    BridgeClient u3 = bridge();
    assertThatThrownBy(() -> u3.request("ecb.markRead", member("u3", token), read(0)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("FORBIDDEN"));
    assertThatThrownBy(() -> u3.request("ecb.markRead", user("u1"), read(0)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("UNAUTHORIZED"));
    assertThat(httpRead("t-other", "u1", token, read(0)).statusCode()).isEqualTo(403);
    assertThat(backend.count("markRead")).isZero();
    u3.close().await();
  }
}
