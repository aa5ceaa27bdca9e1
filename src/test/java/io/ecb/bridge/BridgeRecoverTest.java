package io.ecb.bridge;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code ecb.recover} over the bridge: a client that was away gets exactly what its thread, user
 * and channel streams carried meanwhile, in order, or {@code recovered: false}; a stream it may not
 * follow is refused as a register would be.
 */
@Timeout(60)
class BridgeRecoverTest extends NodeTestBase {

  private static final String KEY = "publisher-key";

  @Override
  protected void configure(JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
  }

  private static JsonObject text(String s) {
    return new JsonObject().put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", s)));
  }

  private static JsonObject since(String address, long offset, String epoch) {
    return new JsonObject().put("address", address).put("sinceOffset", offset).put("epoch", epoch);
  }

  private JsonObject withChannels(String userId, String... channels) {
    return new JsonObject().put("userToken", backend.userToken(userId, new JsonArray(List.of((Object[]) channels))));
  }

  private void publish(JsonObject body) {
    int status = http.post(node.port(), "127.0.0.1", "/api/v1/publish").putHeader("Authorization", "Bearer " + KEY)
      .sendJsonObject(body).await().statusCode();
    assertThat(status).isEqualTo(202);
  }

  /** The next {@code n} payloads that arrive live on {@code address}. */
  private static List<JsonObject> live(BridgeClient c, String address, int n) {
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(c.next(address).await().getJsonObject("body"));
    return out;
  }

  @Test
  void aThreadRecoversExactlyTheMessagesAfterTheOffsetInOrder() {
    String token = backend.addThread("t-rec", "u1", "u2").getString("threadToken");
    BridgeClient watcher = bridge();
    watcher.register("ecb.thread.t-rec", member("u2", token)).await();
    BridgeClient u1 = bridge();
    for (int i = 1; i <= 4; i++) u1.request("ecb.sendMessage", member("u1", token), text("m" + i)).await();
    List<JsonObject> delivered = live(watcher, "ecb.thread.t-rec", 4);
    String epoch = delivered.get(0).getString("epoch");

    BridgeClient back = bridge();
    back.register("ecb.thread.t-rec", member("u2", token)).await();
    JsonObject reply = back.request("ecb.recover", member("u2", token), since("ecb.thread.t-rec", 1, epoch)).await();
    assertThat(reply.getBoolean("recovered")).isTrue();
    assertThat(reply.getLong("offset")).isEqualTo(4);
    assertThat(reply.getString("epoch")).isEqualTo(epoch);
    assertThat(reply.getJsonArray("missed")).isEqualTo(new JsonArray(delivered.subList(1, 4)));

    JsonObject upToDate = back.request("ecb.recover", member("u2", token), since("ecb.thread.t-rec", 4, epoch)).await();
    assertThat(upToDate.getBoolean("recovered")).isTrue();
    assertThat(upToDate.getJsonArray("missed")).isEmpty();
    for (BridgeClient c : List.of(watcher, u1, back)) c.close().await();
  }

  @Test
  void aGapHistoryCannotVouchForIsNotRecovered() {
    String token = backend.addThread("t-gap", "u1", "u2").getString("threadToken");
    BridgeClient u1 = bridge();
    JsonObject sent = u1.request("ecb.sendMessage", member("u1", token), text("only")).await();
    assertThat(sent.getLong("offset")).isEqualTo(1);
    String epoch = u1.request("ecb.getThread", member("u1", token), new JsonObject()).await().getString("epoch");
    // Another epoch (history lost since), or an offset the stream never reached.
    for (JsonObject body : List.of(since("ecb.thread.t-gap", 0, "other-epoch"), since("ecb.thread.t-gap", 5, epoch),
      new JsonObject().put("address", "ecb.thread.t-gap").put("sinceOffset", 0))) {
      JsonObject reply = u1.request("ecb.recover", member("u1", token), body).await();
      assertThat(reply.getBoolean("recovered")).as(body.encode()).isFalse();
      assertThat(reply.getJsonArray("missed")).isEmpty();
      assertThat(reply.getLong("offset")).isEqualTo(1);
      assertThat(reply.getString("epoch")).isEqualTo(epoch);
    }
    u1.close().await();
  }

  @Test
  void userAndChannelNotificationsMissedWhileAwayAreRecovered() {
    BridgeClient first = bridge();
    first.register("ecb.user.u3", withChannels("u3", "news")).await();
    first.register("ecb.channel.news", withChannels("u3", "news")).await();
    publish(new JsonObject().put("userId", "u3").put("event", "hello").put("data", 1));
    publish(new JsonObject().put("channel", "news").put("event", "article").put("data", 1));
    JsonObject lastUser = live(first, "ecb.user.u3", 1).get(0);
    JsonObject lastChannel = live(first, "ecb.channel.news", 1).get(0);
    first.close().await();

    // While the client is away, both streams move on.
    for (int i = 2; i <= 3; i++) {
      publish(new JsonObject().put("userId", "u3").put("event", "hello").put("data", i));
      publish(new JsonObject().put("channel", "news").put("event", "article").put("data", i));
    }

    BridgeClient again = bridge();
    JsonObject headers = withChannels("u3", "news");
    again.register("ecb.user.u3", headers).await();
    again.register("ecb.channel.news", headers).await();
    for (var e : java.util.Map.of("ecb.user.u3", lastUser, "ecb.channel.news", lastChannel).entrySet()) {
      String stream = e.getKey();
      JsonObject last = e.getValue();
      JsonObject reply = again.request("ecb.recover", headers, since(stream, last.getLong("offset"), last.getString("epoch"))).await();
      assertThat(reply.getBoolean("recovered")).as(stream).isTrue();
      assertThat(reply.getLong("offset")).isEqualTo(3);
      JsonArray missed = reply.getJsonArray("missed");
      assertThat(missed).hasSize(2);
      for (int i = 0; i < 2; i++) {
        JsonObject p = missed.getJsonObject(i);
        assertThat(p.getString("kind")).isEqualTo("notification");
        assertThat(p.getInteger("data")).isEqualTo(i + 2);
        assertThat(p.getLong("offset")).isEqualTo(i + 2);
        assertThat(p.getString("epoch")).isEqualTo(last.getString("epoch"));
      }
    }
    again.close().await();
  }

  @Test
  void aStreamTheTokenDoesNotAllowIsRefusedAsARegisterWouldBe() {
    String token = backend.addThread("t-closed", "u1", "u2").getString("threadToken");
    BridgeClient c = bridge();
    record Case(String address, JsonObject headers, String code) {
    }
    for (Case k : List.of(
      new Case("ecb.user.u2", user("u1"), "FORBIDDEN"),
      new Case("ecb.channel.secret", withChannels("u1", "news"), "FORBIDDEN"),
      new Case("ecb.thread.t-closed", member("u3", token), "FORBIDDEN"),
      new Case("ecb.thread.t-other", member("u1", token), "FORBIDDEN"),
      new Case("ecb.thread.t-closed", user("u1"), "UNAUTHORIZED"),
      new Case("ecb.user.u1", new JsonObject(), "UNAUTHORIZED"),
      new Case("ecb.notify.news", user("u1"), "FORBIDDEN"))) {
      assertThatThrownBy(() -> c.request("ecb.recover", k.headers, since(k.address, 0, "e")).await())
        .as(k.toString())
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo(k.code));
    }
    for (JsonObject bad : List.of(new JsonObject().put("sinceOffset", 0), new JsonObject().put("address", "ecb.user.u1"),
      new JsonObject().put("address", "ecb.user.u1").put("sinceOffset", -1))) {
      assertThatThrownBy(() -> c.request("ecb.recover", user("u1"), bad).await())
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
          assertThat(f.failureCode).isEqualTo(400);
          assertThat(f.code()).isEqualTo("BAD_REQUEST");
        });
    }
    c.close().await();
  }
}
