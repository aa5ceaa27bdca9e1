package io.ecb.socketio;

import io.ecb.delivery.Streams;
import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official socket.io-client, unchanged, against one node: every operation of the chat API on
 * {@code /chat}, with default options (polling, then the upgrade to WebSocket), polling only and
 * WebSocket only.
 */
@Tag("browser")
class SocketIoClientTest extends NodeTestBase {

  private String url() {
    return "http://127.0.0.1:" + node.port();
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "polling", "websocket"})
  void everyOperationWorksOverEachTransport(String transports) {
    backend.users.put("sio-other", new JsonObject().put("userId", "sio-other").put("displayName", "Other"));
    JsonObject args = new JsonObject().put("url", url()).put("accessToken", "access-sio-" + transports).put("otherUserId", "sio-other");
    if (!transports.equals("default")) args.put("transports", new JsonArray().add(transports));

    JsonObject r = SocketIoScript.run("ops", args);

    assertThat(r.getString("connectTransport")).isEqualTo(transports.equals("websocket") ? "websocket" : "polling");
    assertThat(r.getString("openTransport")).isEqualTo(r.getString("connectTransport"));
    assertThat(r.getString("transport")).isEqualTo(transports.equals("polling") ? "polling" : "websocket");
    assertThat(r.getJsonObject("user").getString("userId")).isEqualTo("sio-" + transports);
    assertThat(r.getJsonObject("anonymousGetThreads").getJsonObject("error").getString("code")).isEqualTo("UNAUTHORIZED");
    assertThat(r.getJsonObject("contacts").getJsonArray("items")).isNotNull();
    assertThat(r.getJsonObject("threads").getJsonArray("items")).isNotNull();
    JsonObject thread = r.getJsonObject("created").getJsonObject("thread");
    assertThat(r.getJsonObject("thread").getJsonObject("thread").getString("threadId")).isEqualTo(thread.getString("threadId"));
    JsonObject subscribed = r.getJsonObject("subscribed");
    assertThat(subscribed.fieldNames()).containsExactlyInAnyOrder("offset", "epoch");
    assertThat(r.getJsonObject("subscribedAgain").getLong("offset")).isEqualTo(subscribed.getLong("offset"));

    JsonObject live = r.getJsonObject("live");
    assertThat(live.getString("kind")).isEqualTo("message");
    assertThat(live.getLong("offset")).isEqualTo(r.getJsonObject("sent").getLong("offset")).isEqualTo(subscribed.getLong("offset") + 1);
    assertThat(live.getJsonObject("message").getString("messageId")).isEqualTo(r.getJsonObject("sent").getJsonObject("message").getString("messageId"));
    assertThat(r.getJsonObject("typing").getString("fromUserId")).isEqualTo("sio-" + transports);
    assertThat(r.getJsonObject("typingReply").getJsonObject("message").getString("type")).isEqualTo("typing");
    assertThat(r.getJsonObject("silent").getLong("offset")).isEqualTo(live.getLong("offset") + 1);

    for (String key : new String[]{"recovered", "recover"}) {
      JsonObject rec = r.getJsonObject(key);
      assertThat(rec.getBoolean("recovered")).as(key).isTrue();
      assertThat(rec.getJsonArray("missed")).as(key).hasSize(2);
      assertThat(rec.getJsonArray("missed").getJsonObject(0)).as(key).isEqualTo(live);
      assertThat(rec.getLong("offset")).as(key).isEqualTo(live.getLong("offset") + 1);
    }
    assertThat(r.getJsonObject("withoutThreadToken").getJsonObject("error").getString("code")).isEqualTo("UNAUTHORIZED");
    assertThat(r.getJsonObject("unknown").getJsonObject("error").getString("code")).isEqualTo("NOT_FOUND");
    assertThat(r.getJsonObject("forbidden").getJsonObject("error").getString("code")).isEqualTo("FORBIDDEN");
    assertThat(r.getJsonObject("unsubscribed")).isEqualTo(new JsonObject());
    assertThat(backend.count("addThreadMessage")).isEqualTo(2);
  }

  @Test
  void aWebSocketClientThatStopsReadingIsCutOffWith4001() {
    String token = backend.addThread("t-sio-slow", "u1", "u2").getString("threadToken");
    long before = node.node.socketIo().slowConsumers.sum();
    try (SocketIoScript slow = SocketIoScript.start("slow", new JsonObject().put("url", url())
      .put("userToken", backend.userToken("u2")).put("address", "ecb.thread.t-sio-slow").put("threadToken", token))) {
      slow.ready();
      String filler = "s".repeat(32 * 1024);
      int sent = 0;
      // Kernel buffers absorb the first megabytes; the bound is generous for a busy machine.
      while (node.node.socketIo().slowConsumers.sum() == before && sent < 10_000) {
        List<Future<?>> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          batch.add(node.node.publisher().publish(Streams.thread("t-sio-slow"), new JsonObject().put("kind", "message")
            .put("threadId", "t-sio-slow").put("message", new JsonObject().put("type", "text")
              .put("data", new JsonObject().put("messageText", filler)))));
        }
        Future.all(batch).await();
        sent += 20;
      }
      assertThat(node.node.socketIo().slowConsumers.sum()).as("cut off after %d messages", sent).isEqualTo(before + 1);
      slow.tell("resume");
      JsonObject close = slow.result().getJsonObject("close");
      assertThat(close.getInteger("code")).isEqualTo(4001);
    }
  }

  private static List<Long> offsets(JsonArray a) {
    return a.stream().map(o -> ((Number) o).longValue()).toList();
  }

  private long publishMessage(String threadId, String text) {
    return node.node.publisher().publish(Streams.thread(threadId), new JsonObject().put("kind", "message").put("threadId", threadId)
      .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", text)))).await().offset();
  }

  @ParameterizedTest
  @ValueSource(strings = {"polling", "websocket"})
  void aReconnectingClientIsRecoveredWithWhatItMissed(String transport) {
    String threadId = "t-sio-rec-" + transport;
    String token = backend.addThread(threadId, "u1", "u2").getString("threadToken");
    JsonObject args = new JsonObject().put("url", url()).put("userToken", backend.userToken("u1"))
      .put("address", "ecb.thread." + threadId).put("threadToken", token).put("transports", new JsonArray().add(transport));
    try (SocketIoScript script = SocketIoScript.start("recovery", args.copy().put("lastOffset", 3))) {
      script.ready();
      long first = publishMessage(threadId, "before the drop");
      script.awaitLine("disconnected");
      long second = publishMessage(threadId, "missed 1");
      long third = publishMessage(threadId, "missed 2");
      assertThat(third).isEqualTo(3);
      script.tell("reconnect");
      JsonObject r = script.result();
      assertThat(r.getBoolean("firstRecovered")).isFalse();
      assertThat(r.getBoolean("recovered")).isTrue();
      assertThat(offsets(r.getJsonArray("before"))).containsExactly(first);
      assertThat(offsets(r.getJsonArray("after"))).containsExactly(second, third);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "websocket"})
  void aBadTokenGetsConnectError(String transports) {
    JsonObject args = new JsonObject().put("url", url()).put("auth", new JsonObject().put("userToken", "not-a-jwt"));
    if (!transports.equals("default")) args.put("transports", new JsonArray().add(transports));
    JsonObject r = SocketIoScript.run("badToken", args);
    assertThat(r.getString("message")).isEqualTo("UNAUTHORIZED");
    assertThat(r.getJsonObject("data")).isEqualTo(new JsonObject().put("code", "UNAUTHORIZED"));
  }
}
