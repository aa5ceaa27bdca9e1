package io.ecb.bridge;

import io.ecb.delivery.Streams;
import io.ecb.support.BridgeClient;
import io.ecb.support.Conditions;
import io.ecb.support.NodeTestBase;
import io.ecb.support.SockJsHttpClient;
import io.ecb.support.SockJsHttpClient.Transport;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SockJS's HTTP transports, each with a client that speaks the SockJS protocol over plain HTTP as
 * sockjs-client does: the bridge works over every one of them, sends are checked like WebSocket
 * frames, and a client that stops taking what the node sends it is closed with 4001.
 */
@Timeout(90)
class SockJsHttpTransportTest extends NodeTestBase {

  private static final int QUEUE_BOUND = 256 * 1024;

  @Override
  protected void configure(JsonObject config) {
    // The test runs the heartbeat turns itself: the node's own would come every six minutes.
    config.getJsonObject("limits").put("heartbeatSeconds", 3600).put("outboundQueueBytes", QUEUE_BOUND);
  }

  private SockJsHttpClient connect(Transport transport) {
    return SockJsHttpClient.connect(vertx, node.port(), transport).await();
  }

  private SockJsHttpSession session(SockJsHttpClient c) {
    String id = c.sessionPath.substring(c.sessionPath.lastIndexOf('/') + 1);
    SockJsHttpSession s = node.node.bridge().httpTransports.sessions.get(id);
    assertThat(s).as("session %s on the node", id).isNotNull();
    return s;
  }

  private void until(BooleanSupplier condition, String what) {
    Conditions.until(vertx, condition, what);
  }


  private static JsonObject text(String text) {
    return new JsonObject().put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", text)));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void everyTransportRegistersRequestsReceivesAndPings(Transport transport) {
    String threadId = "t-" + transport.path;
    String token = backend.addThread(threadId, "u1", "u2").getString("threadToken");
    SockJsHttpClient c = SockJsHttpClient.connect(vertx, node.port(), transport, 200).await();
    BridgeConnection bridge = session(c).bridge();
    long openedAt = bridge.lastPing;

    c.register("ecb.thread." + threadId, member("u1", token)).await();
    JsonObject thread = c.request("ecb.getThread", member("u1", token), new JsonObject()).await();
    assertThat(thread.getJsonObject("thread").getString("threadId")).isEqualTo(threadId);
    assertThatThrownBy(() -> c.request("ecb.publish.anything", user("u1"), new JsonObject()).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(403);
        assertThat(f.code()).isEqualTo("FORBIDDEN");
      });

    // Its own message comes back as a delivery on the registered stream, characters beyond ASCII intact.
    String words = "héllo </script> \"" + transport.path + "\" \u2028 😀";
    JsonObject sent = c.request("ecb.sendMessage", member("u1", token), text(words)).await();
    JsonObject delivered = c.next("ecb.thread." + threadId).await();
    assertThat(delivered.getString("type")).isEqualTo("rec");
    JsonObject payload = delivered.getJsonObject("body");
    assertThat(payload.getString("kind")).isEqualTo("message");
    assertThat(payload.getLong("offset")).isEqualTo(sent.getLong("offset"));
    assertThat(payload.getJsonObject("message").getJsonObject("data").getString("messageText")).isEqualTo(words);

    // Pings reach the session: its ping clock moves.
    until(() -> bridge.lastPing > openedAt, "a ping arrived");
    assertThat(c.errors).isEmpty();
    assertThat(c.closed().isComplete()).isFalse();
    c.close().await();
    until(() -> !node.node.bridge().connections.contains(bridge), "the session is gone after the client closed");
  }

  @ParameterizedTest
  @EnumSource(value = Transport.class, names = {"XHR_STREAMING", "XHR_POLLING"})
  void anIdleSessionGetsHeartbeats(Transport transport) {
    SockJsHttpClient c = connect(transport);
    SockJsHttpSession s = session(c);
    int receivers = c.receivers.get();
    // Heartbeat intervals until one arrives: a poll must be waiting when the heartbeat is due.
    until(() -> {
      for (int i = 0; i < 2 * BridgeServer.HEARTBEAT_SLOTS; i++) node.node.bridge().heartbeatTurn();
      return c.heartbeats.get() >= 1;
    }, "a heartbeat arrived");
    if (transport == Transport.XHR_POLLING) {
      // The heartbeat answered the waiting poll; the client polls again.
      until(() -> c.receivers.get() > receivers, "the next poll");
    }
    assertThat(s.isClosed()).isFalse();
    c.close().await();
  }

  @Test
  void sendsAreCheckedLikeWebSocketFrames() {
    SockJsHttpClient c = connect(Transport.XHR_STREAMING);

    SockJsHttpClient.Response ok = c.post(List.of(new JsonObject().put("type", "ping").encode())).await();
    assertThat(ok.statusCode()).isEqualTo(204);
    assertThat(c.post("").await().statusCode()).isEqualTo(400);
    SockJsHttpClient.Response broken = c.post("[\"unterminated").await();
    assertThat(broken.statusCode()).isEqualTo(400);
    assertThat(broken.body()).isEqualTo("Broken JSON encoding.");

    // Past the body limit (six times the frame limit, for escaping): refused before it is read whole.
    int frameLimit = node.config.http.maxFrameBytes;
    String huge = "x".repeat(frameLimit * 6 + 100);
    SockJsHttpClient.Response tooLarge = c.post(List.of(huge)).await();
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(tooLarge.body()).getJsonObject("error").getString("code")).isEqualTo("PAYLOAD_TOO_LARGE");

    // Within the body limit but over the frame limit once decoded: the bridge's own refusal.
    String token = backend.addThread("t-big", "u1").getString("threadToken");
    JsonObject bigBody = text("y".repeat(frameLimit));
    assertThatThrownBy(() -> c.request("ecb.sendMessage", member("u1", token), bigBody).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("PAYLOAD_TOO_LARGE"));

    // The session survived all of it.
    assertThat(c.request("ecb.getThread", member("u1", token), new JsonObject()).await()
      .getJsonObject("thread").getString("threadId")).isEqualTo("t-big");
    c.close().await();

    // A session the node does not know.
    assertThat(http.post(node.port(), "127.0.0.1", "/eventbus/000/unknown/xhr_send")
      .sendBuffer(Buffer.buffer("[\"{}\"]")).await().statusCode()).isEqualTo(404);
  }

  @Test
  void jsonpSendsLargeFormEncodedFrames() {
    String token = backend.addThread("t-jsonp", "u1").getString("threadToken");
    SockJsHttpClient c = connect(Transport.JSONP_POLLING);
    // Far beyond the 8 KiB the HTTP server allows a decoded form attribute.
    String words = "\"quoted\" & more ".repeat(2000);
    JsonObject sent = c.request("ecb.sendMessage", member("u1", token), text(words)).await();
    assertThat(sent.getJsonObject("message").getJsonObject("data").getString("messageText")).isEqualTo(words);
    SockJsHttpClient.Response ok = c.post("jsonp_send", "text/plain", new JsonArray().add("{\"type\":\"ping\"}").encode()).await();
    assertThat(ok).isEqualTo(new SockJsHttpClient.Response(200, "ok"));
    c.close().await();
  }

  @Test
  void aSecondReceiverIsTurnedAwayAndTheFirstKeepsTheSession() {
    SockJsHttpClient c = connect(Transport.XHR_STREAMING);
    SockJsHttpClient.Response second = c.post("xhr", "text/plain", "").await();
    assertThat(second).isEqualTo(new SockJsHttpClient.Response(200, "c[2010,\"Another connection still open\"]\n"));
    String token = backend.addThread("t-second", "u1").getString("threadToken");
    c.request("ecb.getThread", member("u1", token), new JsonObject()).await();
    c.close().await();
  }

  @Test
  void infoStillOffersWebSocket() {
    JsonObject info = http.get(node.port(), "127.0.0.1", "/eventbus/info").send().await().bodyAsJsonObject();
    assertThat(info.getBoolean("websocket")).isTrue();
  }

  @Test
  void aStreamingClientThatStopsReadingIsClosedWith4001() {
    cutOff(Transport.XHR_STREAMING);
  }

  @Test
  void aPollingClientThatStopsPollingIsClosedWith4001() {
    cutOff(Transport.XHR_POLLING);
  }

  /**
   * A client that stops taking what the node sends while a thread's messages keep coming: the
   * node closes its session once the bound is reached, drops what waited, and the client, when
   * it looks again, gets the close frame with 4001.
   */
  private void cutOff(Transport transport) {
    String threadId = "t-slow-" + transport.path;
    String token = backend.addThread(threadId, "u1", "u2").getString("threadToken");
    SockJsHttpClient slow = connect(transport);
    slow.register("ecb.thread." + threadId, member("u2", token)).await();
    SockJsHttpSession session = session(slow);
    BridgeConnection bridge = session.bridge();
    int connections = node.node.bridge().connectionCount();
    long slowConsumers = node.node.bridge().slowConsumers.sum();
    slow.pause();

    String filler = "y".repeat(32 * 1024);
    String stream = Streams.thread(threadId);
    int sent = 0;
    // Kernel buffers absorb the first megabytes of a stream nobody reads.
    while (node.node.bridge().connections.contains(bridge) && sent < 10_000) {
      List<Future<?>> batch = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        batch.add(node.node.publisher().publish(stream, new JsonObject().put("kind", "message").put("threadId", threadId)
          .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", filler)))));
      }
      Future.all(batch).await();
      sent += 20;
    }
    assertThat(node.node.bridge().connections).as("slow session closed after %d messages", sent).doesNotContain(bridge);
    assertThat(node.node.bridge().connectionCount()).isLessThan(connections);
    assertThat(node.node.bridge().slowConsumers.sum()).isEqualTo(slowConsumers + 1);
    assertThat(session.isClosed()).isTrue();

    slow.resume();
    JsonObject closed = slow.closed().await();
    assertThat(closed.getInteger("code")).isEqualTo(CloseReason.SLOW_CONSUMER.code);
    assertThat(closed.getString("reason")).isEqualTo(CloseReason.SLOW_CONSUMER.reason);
    // Nothing is held for it any more, once the close frame it just read is reported flushed.
    until(() -> session.queuedBytes() == 0, "nothing queued for the closed session");
    slow.close().await();
  }
}
