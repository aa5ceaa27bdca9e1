package io.ecb.push;

import io.ecb.support.BridgeClient;
import io.ecb.support.ClusterTestBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The native push API on a two-node cluster: publish through one node, receive on the other. */
@Timeout(60)
class PublishApiTest extends ClusterTestBase {

  private static final String KEY = "publisher-key-1";

  @Override
  protected void configure(int index, JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY).add("publisher-key-2"));
  }

  private HttpResponse<Buffer> publish(int node, String key, JsonObject body) {
    var req = http.post(nodes.get(node).port(), "127.0.0.1", "/api/v1/publish");
    if (key != null) req.putHeader("Authorization", "Bearer " + key);
    return req.sendJsonObject(body).await();
  }

  private BridgeClient client(int node) {
    return BridgeClient.connect(vertx, nodes.get(node).port()).await();
  }

  private JsonObject headers(String userId, String... channels) {
    return new JsonObject().put("userToken", backend.userToken(userId, new JsonArray(List.of((Object[]) channels))));
  }

  @Test
  void aChannelNotificationReachesFollowersOnEveryNodeAndIsCounted() {
    BridgeClient u1 = client(1);
    u1.register("ecb.channel.news", headers("u1", "news")).await();
    BridgeClient u2 = client(0);
    u2.register("ecb.channel.news", headers("u2", "news")).await();

    HttpResponse<Buffer> r = publish(0, KEY, new JsonObject().put("channel", "news").put("event", "article").put("data", new JsonObject().put("id", 7)));
    assertThat(r.statusCode()).isEqualTo(202);
    String messageId = r.bodyAsJsonObject().getString("messageId");
    assertThat(messageId).isNotBlank();
    for (BridgeClient c : List.of(u1, u2)) {
      JsonObject body = c.next("ecb.channel.news").await().getJsonObject("body");
      assertThat(body.getString("kind")).isEqualTo("notification");
      assertThat(body.getString("event")).isEqualTo("article");
      assertThat(body.getJsonObject("data")).isEqualTo(new JsonObject().put("id", 7));
      assertThat(body.getString("messageId")).isEqualTo(messageId);
      assertThat(body.getLong("offset")).isEqualTo(1);
    }
    JsonObject stats = http.get(nodes.get(1).port(), "127.0.0.1", "/api/v1/channels/news")
      .putHeader("Authorization", "Bearer " + KEY).send().await().bodyAsJsonObject();
    assertThat(stats).isEqualTo(new JsonObject().put("name", "news").put("subscribers", 2).put("published", 1));
    u1.close().await();
    u2.close().await();
  }

  @Test
  void userAndUserOnChannelTargetsReachExactlyTheirConnections() {
    BridgeClient u3 = client(1);
    u3.register("ecb.user.u3", headers("u3")).await();
    u3.register("ecb.channel.ops", headers("u3", "ops")).await();
    BridgeClient u4 = client(1);
    u4.register("ecb.channel.ops", headers("u4", "ops")).await();

    assertThat(publish(0, KEY, new JsonObject().put("userId", "u3").put("event", "direct").put("data", "hi")).statusCode()).isEqualTo(202);
    assertThat(u3.next("ecb.user.u3").await().getJsonObject("body").getString("event")).isEqualTo("direct");

    assertThat(publish(0, KEY, new JsonObject().put("channel", "ops").put("userId", "u4").put("event", "only-u4").put("data", 1)).statusCode()).isEqualTo(202);
    assertThat(u4.next("ecb.channel.ops").await().getJsonObject("body").getString("event")).isEqualTo("only-u4");
    // A later channel-wide notification proves u3 got nothing in between.
    publish(0, KEY, new JsonObject().put("channel", "ops").put("event", "all").put("data", 2));
    assertThat(u3.next("ecb.channel.ops").await().getJsonObject("body").getString("event")).isEqualTo("all");
    assertThat(u4.next("ecb.channel.ops").await().getJsonObject("body").getString("event")).isEqualTo("all");
    u3.close().await();
    u4.close().await();
  }

  @Test
  void aRetriedPublishWithTheSameMessageIdIsDeliveredOnce() {
    BridgeClient u5 = client(1);
    u5.register("ecb.channel.retry", headers("u5", "retry")).await();
    JsonObject body = new JsonObject().put("channel", "retry").put("event", "e").put("data", 1).put("messageId", "m-42");
    assertThat(publish(0, KEY, body).bodyAsJsonObject().getString("messageId")).isEqualTo("m-42");
    assertThat(publish(1, "publisher-key-2", body).statusCode()).isEqualTo(202);
    publish(0, KEY, body.copy().put("messageId", "m-43"));
    assertThat(u5.next("ecb.channel.retry").await().getJsonObject("body").getString("messageId")).isEqualTo("m-42");
    assertThat(u5.next("ecb.channel.retry").await().getJsonObject("body").getString("messageId")).isEqualTo("m-43");
    u5.close().await();
  }

  @Test
  void badPublishesAreRefusedWithClearErrors() {
    JsonObject ok = new JsonObject().put("channel", "c").put("event", "e").put("data", 1);
    assertThat(publish(0, null, ok).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> wrongKey = publish(0, "nope", ok);
    assertThat(wrongKey.statusCode()).isEqualTo(401);
    assertThat(wrongKey.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("UNAUTHORIZED");
    for (JsonObject bad : List.of(
      new JsonObject().put("event", "e").put("data", 1),
      new JsonObject().put("channel", "c").put("data", 1),
      new JsonObject().put("channel", "c").put("event", "e"),
      new JsonObject().put("channel", 5).put("event", "e").put("data", 1),
      ok.copy().put("messageId", 12))) {
      HttpResponse<Buffer> r = publish(0, KEY, bad);
      assertThat(r.statusCode()).as(bad.encode()).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("BAD_REQUEST");
    }
    assertThat(http.get(nodes.get(0).port(), "127.0.0.1", "/api/v1/channels/c").send().await().statusCode()).isEqualTo(401);
  }
}
