package io.ecb.socketio;

import io.ecb.support.BridgeClient;
import io.ecb.support.ClusterTestBase;
import io.ecb.support.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official socket.io-client on a two-node cluster: stream payloads reach Socket.IO clients on
 * both nodes whatever node and transport they came from (a bridge client sends, Socket.IO clients
 * receive), and Channel notify's three {@code /notify} targets reach exactly the right sockets,
 * written as that service's front ends write them.
 */
@Tag("browser")
@Timeout(120)
class SocketIoClusterTest extends ClusterTestBase {

  private static final String KEY = "sio-notify-key";
  private static final String PUBLIC_CHANNEL = "public-sio";

  @Override
  protected void configure(int index, JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
    config.getJsonObject("channels").put("public", new JsonArray().add(PUBLIC_CHANNEL));
  }

  private String url(int node) {
    return "http://127.0.0.1:" + port(node);
  }

  private static List<Object> payloads(JsonObject result, String socket, String event) {
    return result.getJsonObject("sockets").getJsonObject(socket).getJsonArray("events").stream()
      .map(JsonObject.class::cast).filter(e -> e.getString("event").equals(event)).map(e -> e.getValue("payload")).toList();
  }

  @Test
  void aBridgeClientSendsAndSocketIoClientsOnBothNodesReceive() {
    String threadToken = backend.addThread("t-sio-c", "u1", "u2").getString("threadToken");
    JsonObject subscribe = new JsonObject().put("address", "ecb.thread.t-sio-c").put("threadToken", threadToken);
    JsonArray events = new JsonArray().add("message").add("threadCreated").add("notification");
    JsonObject args = new JsonObject().put("marker", "marker-sio-c").put("sockets", new JsonArray()
      .add(new JsonObject().put("name", "a").put("url", url(0)).put("nsp", "/chat").put("upgrade", true)
        .put("auth", new JsonObject().put("userToken", backend.userToken("u1")))
        .put("subscribe", new JsonArray().add(subscribe)).put("events", events))
      .add(new JsonObject().put("name", "b").put("url", url(1)).put("nsp", "/chat").put("transports", new JsonArray().add("polling"))
        .put("auth", new JsonObject().put("userToken", backend.userToken("u2")))
        .put("subscribe", new JsonArray().add(subscribe).add(new JsonObject().put("address", "ecb.user.u2")))
        // The notification comes from node 0 on the user's stream, the marker from node 1 on the
        // thread's: nothing orders one stream against another, so b waits for both.
        .put("markers", new JsonArray().add("marker-sio-c").add("notify-sio-c"))
        .put("events", events)));
    JsonObject notified = new JsonObject().put("n", 1).put("marker", "notify-sio-c");

    try (SocketIoScript script = SocketIoScript.start("listen", args)) {
      script.ready();
      BridgeClient bridge = BridgeClient.connect(vertx, port(1)).await();
      JsonObject headers = new JsonObject().put("userToken", backend.userToken("u1")).put("threadToken", threadToken);
      JsonObject first = bridge.request("ecb.sendMessage", headers, new JsonObject()
        .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "over the bridge")))).await();
      HttpResponse<Buffer> published = http.post(port(0), "127.0.0.1", "/api/v1/publish")
        .putHeader("Authorization", "Bearer " + KEY)
        .sendJsonObject(new JsonObject().put("userId", "u2").put("event", "ping").put("data", notified)).await();
      assertThat(published.statusCode()).as(published.bodyAsString()).isEqualTo(202);
      bridge.request("ecb.sendMessage", headers, new JsonObject()
        .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "marker-sio-c")))).await();
      JsonObject result = script.result();
      bridge.close().await();

      for (String socket : new String[]{"a", "b"}) {
        assertThat(result.getJsonObject("sockets").getJsonObject(socket).getJsonArray("acks")).as(socket)
          .isNotEmpty().allSatisfy(ack -> assertThat(((JsonObject) ack).getMap()).containsKey("offset").doesNotContainKey("error"));
        List<Object> messages = payloads(result, socket, "message");
        assertThat(messages).as(socket).hasSize(2);
        JsonObject live = (JsonObject) messages.get(0);
        assertThat(live.getJsonObject("message").getString("messageId")).isEqualTo(first.getJsonObject("message").getString("messageId"));
        assertThat(live.getLong("offset")).isEqualTo(first.getLong("offset"));
        assertThat(((JsonObject) messages.get(1)).getLong("offset")).isEqualTo(first.getLong("offset") + 1);
      }
      assertThat(result.getJsonObject("sockets").getJsonObject("a").getString("transport")).isEqualTo("websocket");
      assertThat(result.getJsonObject("sockets").getJsonObject("b").getString("transport")).isEqualTo("polling");
      assertThat(payloads(result, "a", "notification")).isEmpty();
      List<Object> pushed = payloads(result, "b", "notification");
      assertThat(pushed).singleElement().satisfies(p -> {
        assertThat(((JsonObject) p).getString("event")).isEqualTo("ping");
        assertThat(((JsonObject) p).getJsonObject("data")).isEqualTo(notified);
      });
    }
  }

  /** A notify socket token for a userToken whose channels claim names {@code channels}. */
  private String socketToken(int node, String userId, String... channels) {
    HttpResponse<Buffer> r = http.get(port(node), "127.0.0.1", "/authorize")
      .putHeader("Authorization", "Bearer " + backend.userToken(userId, new JsonArray(List.of(channels)))).send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    return r.bodyAsJsonObject().getString("token");
  }

  private int notify(int node, JsonObject body) {
    HttpResponse<Buffer> r = http.post(port(node), "127.0.0.1", "/notify").sendJsonObject(body.put("API_KEY", KEY)).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getInteger("delivered");
  }

  /** A socket of {@code userId} joining {@code channel}, with a token whose user may join {@code allowed}. */
  private JsonObject notifySocket(String name, int node, String userId, String channel, String... allowed) {
    return new JsonObject().put("name", name).put("url", url(node)).put("plain", true)
      .put("auth", new JsonObject().put("token", socketToken(node, userId, allowed)).put("keycloakID", userId).put("channel", channel))
      .put("events", new JsonArray().add("notification"));
  }

  @Test
  void theThreeNotifyTargetsReachExactlyTheRightSockets() {
    JsonObject args = new JsonObject().put("marker", "marker-notify").put("sockets", new JsonArray()
      .add(notifySocket("aliceC1", 0, "alice-sio", "c1-sio", "c1-sio", "c2-sio"))
      .add(notifySocket("aliceC2", 1, "alice-sio", "c2-sio", "c1-sio", "c2-sio"))
      .add(notifySocket("bobC1", 1, "bob-sio", "c1-sio", "c1-sio")));

    try (SocketIoScript script = SocketIoScript.start("listen", args)) {
      script.ready();
      JsonObject toChannel = new JsonObject().put("to", "channel c1");
      JsonObject toUser = new JsonObject().put("to", "alice");
      assertThat(notify(1, new JsonObject().put("channel", "c1-sio").put("msg", toChannel))).isEqualTo(2);
      assertThat(notify(0, new JsonObject().put("keycloak", "alice-sio").put("msg", toUser))).isEqualTo(2);
      assertThat(notify(1, new JsonObject().put("keycloak", "bob-sio").put("channel", "c1-sio").put("msg", "bob on c1"))).isEqualTo(1);
      assertThat(notify(0, new JsonObject().put("channel", "c1-sio").put("msg", "marker-notify"))).isEqualTo(2);
      assertThat(notify(0, new JsonObject().put("channel", "c2-sio").put("msg", "marker-notify"))).isEqualTo(1);
      JsonObject result = script.result();

      assertThat(payloads(result, "aliceC1", "notification")).containsExactly(toChannel, toUser, "marker-notify");
      assertThat(payloads(result, "aliceC2", "notification")).containsExactly(toUser, "marker-notify");
      assertThat(payloads(result, "bobC1", "notification")).containsExactly(toChannel, "bob on c1", "marker-notify");
    }
  }

  @Test
  void aNotifySocketWithAForeignKeycloakIdIsRefused() {
    // The channel is carol's to join: only the keycloakID is wrong.
    JsonObject r = SocketIoScript.run("badToken", new JsonObject().put("url", url(0)).put("nsp", "")
      .put("auth", new JsonObject().put("token", socketToken(0, "carol-sio", "c1")).put("keycloakID", "mallory").put("channel", "c1")));
    assertThat(r.getString("message")).isEqualTo("FORBIDDEN");
    JsonObject bad = SocketIoScript.run("badToken", new JsonObject().put("url", url(1)).put("nsp", "")
      .put("auth", new JsonObject().put("token", "forged").put("keycloakID", "carol-sio").put("channel", "c1")));
    assertThat(bad.getString("message")).isEqualTo("UNAUTHORIZED");
  }

  /** SPEC 8: a notify socket joins a channel only if the userToken's channels claim or channels.public names it. */
  @Test
  void aNotifySocketMayJoinOnlyTheChannelsItsTokenOrTheConfigAllows() {
    String dave = socketToken(1, "dave-sio", "d1-sio");
    for (String channel : new String[]{"d2-sio", "d1-sio-other", "D1-SIO"}) {
      JsonObject r = SocketIoScript.run("badToken", new JsonObject().put("url", url(1)).put("nsp", "")
        .put("auth", new JsonObject().put("token", dave).put("keycloakID", "dave-sio").put("channel", channel)));
      assertThat(r.getString("message")).as(channel).isEqualTo("FORBIDDEN");
      assertThat(r.getJsonObject("data").getString("code")).isEqualTo("FORBIDDEN");
    }
    // A token without the claim joins only the public channels; on allowed channels both users connect.
    String erin = socketToken(0, "erin-sio");
    JsonObject refused = SocketIoScript.run("badToken", new JsonObject().put("url", url(0)).put("nsp", "")
      .put("auth", new JsonObject().put("token", erin).put("keycloakID", "erin-sio").put("channel", "d1-sio")));
    assertThat(refused.getString("message")).isEqualTo("FORBIDDEN");
    JsonObject args = new JsonObject().put("marker", "marker-allowed").put("sockets", new JsonArray()
      .add(notifySocket("daveD1", 1, "dave-sio", "d1-sio", "d1-sio"))
      .add(notifySocket("erinPublic", 0, "erin-sio", PUBLIC_CHANNEL)));
    try (SocketIoScript script = SocketIoScript.start("listen", args)) {
      script.ready();
      assertThat(notify(0, new JsonObject().put("channel", "d1-sio").put("msg", "marker-allowed"))).isEqualTo(1);
      assertThat(notify(1, new JsonObject().put("channel", PUBLIC_CHANNEL).put("msg", "marker-allowed"))).isEqualTo(1);
      JsonObject result = script.result();
      assertThat(payloads(result, "daveD1", "notification")).containsExactly("marker-allowed");
      assertThat(payloads(result, "erinPublic", "notification")).containsExactly("marker-allowed");
    }
  }
}
