package io.ecb.presence;

import io.ecb.support.BridgeClient;
import io.ecb.support.Conditions;
import io.ecb.support.NodeTestBase;
import io.ecb.support.SseClient;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Presence on one node, with real clients: a member is online while any of their connections
 * (bridge or SSE) follows the thread; followers hear the first follow and the last unfollow; the
 * bridge and HTTP answer who is online; nothing of it is numbered or kept.
 */
@Timeout(60)
class PresenceTest extends NodeTestBase {

  /** The next presence payload on {@code address}; at most 5 s after the call. */
  static JsonObject nextPresence(BridgeClient c, String address) {
    return nextPresence(c, address, 5);
  }

  /** The next presence payload on {@code address}; at most {@code seconds} after the call. */
  static JsonObject nextPresence(BridgeClient c, String address, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    try {
      return c.nextPresence(address).await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).getJsonObject("body");
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no presence event on " + address + " within " + seconds + " s", e);
    }
  }

  static JsonObject presence(String threadId, String userId, boolean online) {
    return new JsonObject().put("kind", "presence").put("threadId", threadId).put("userId", userId).put("online", online);
  }

  private SseClient sse(String userId, String threadToken) {
    HttpClientAgent client = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(node.port())
      .setURI("/api/v1/events?access_token=" + enc(backend.userToken(userId)) + "&thread=" + enc(threadToken));
    SseClient s = SseClient.open(client, options, null, new SseClient(e -> e.data() != null)).await();
    assertThat(s.status).isEqualTo(200);
    Future.fromCompletionStage(s.firstBytes).await();
    return s;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private JsonObject httpPresence(String threadId, String userId, String threadToken, int status) {
    var r = http.get(node.port(), "127.0.0.1", "/api/v1/threads/" + threadId + "/presence")
      .putHeader("Authorization", "Bearer " + backend.userToken(userId)).putHeader("X-Thread-Token", threadToken).send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    return r.bodyAsJsonObject();
  }

  @Test
  void aMemberIsOnlineWhileAnyConnectionFollowsTheThread() {
    String t = "t-presence";
    String address = "ecb.thread." + t;
    String stream = "thread:" + t;
    String token = backend.addThread(t, "u1", "u2", "u3").getString("threadToken");
    BridgeClient u1 = bridge();
    u1.register(address, member("u1", token)).await();
    assertThat(nextPresence(u1, address)).as("a follower hears its own arrival").isEqualTo(presence(t, "u1", true));

    // u2 arrives over SSE, and then over the bridge too: that is no second arrival, so the next
    // thing u1 hears is u3's.
    SseClient u2Sse = sse("u2", token);
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u2", true));
    BridgeClient u2 = bridge();
    u2.register(address, member("u2", token)).await();
    BridgeClient u3 = bridge();
    u3.register(address, member("u3", token)).await();
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u3", true));
    JsonObject all = new JsonObject().put("threadId", t).put("online", new JsonArray().add("u1").add("u2").add("u3"));
    assertThat(u1.request("ecb.getPresence", member("u1", token), new JsonObject()).await()).isEqualTo(all);
    assertThat(httpPresence(t, "u2", token, 200)).isEqualTo(all);
    // The SSE stream heard the same as the bridge.
    assertThat(new JsonObject(u2Sse.next().data())).isEqualTo(presence(t, "u2", true));
    assertThat(new JsonObject(u2Sse.next().data())).isEqualTo(presence(t, "u3", true));

    // u2's SSE stream goes away: u2 still follows over the bridge, so the next departure heard is u3's.
    u2Sse.close();
    Conditions.until(vertx, () -> node.node.fanout().localSubscribers(stream) == 3, "the SSE stream is gone");
    u3.close().await();
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u3", false));
    u2.unregister(address);
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u2", false));
    assertThat(httpPresence(t, "u1", token, 200)).isEqualTo(new JsonObject().put("threadId", t).put("online", new JsonArray().add("u1")));

    // Presence is not numbered: the thread's stream has nothing in it.
    JsonObject rec = u1.request("ecb.recover", member("u1", token), new JsonObject().put("address", address).put("sinceOffset", 0)
      .put("epoch", u1.request("ecb.getThread", member("u1", token), new JsonObject()).await().getString("epoch"))).await();
    assertThat(rec.getLong("offset")).isZero();
    assertThat(rec.getJsonArray("missed")).isEmpty();

    // Once nobody follows the thread, nothing is kept for it.
    u1.close().await();
    java.util.concurrent.atomic.AtomicBoolean empty = new java.util.concurrent.atomic.AtomicBoolean();
    Conditions.until(vertx, () -> {
      node.node.presence().online(t).onSuccess(users -> empty.set(users.isEmpty()));
      return empty.get();
    }, "the thread holds no presence");
    u2.close().await();
  }

  @Test
  void getPresenceFollowsTheRulesOfGetThread() {
    String t = "t-presence-rules";
    String token = backend.addThread(t, "u1", "u2").getString("threadToken");
    BridgeClient c = bridge();
    record Case(JsonObject headers, String code) {
    }
    for (Case k : List.of(new Case(member("u3", token), "FORBIDDEN"), new Case(user("u1"), "UNAUTHORIZED"),
      new Case(new JsonObject().put("threadToken", token), "UNAUTHORIZED"))) {
      assertThatThrownBy(() -> c.request("ecb.getPresence", k.headers, new JsonObject()).await()).as(k.toString())
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo(k.code));
    }
    assertThat(httpPresence(t, "u3", token, 403).getJsonObject("error").getString("code")).isEqualTo("FORBIDDEN");
    assertThat(httpPresence("t-elsewhere", "u1", token, 403).getJsonObject("error").getString("code")).isEqualTo("FORBIDDEN");
    assertThat(c.request("ecb.getPresence", member("u1", token), new JsonObject()).await())
      .isEqualTo(new JsonObject().put("threadId", t).put("online", new JsonArray()));
    c.close().await();
  }
}
