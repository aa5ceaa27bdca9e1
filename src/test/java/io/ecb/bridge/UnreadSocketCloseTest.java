package io.ecb.bridge;

import io.ecb.delivery.Streams;
import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A socket the server closes while its client reads nothing (here a slow consumer, cut off at a
 * 64 KiB outbound queue) still goes away: when its close frame is stuck behind the unread bytes, the
 * server drops the TCP connection after a grace period, even though the client keeps sending.
 */
@Timeout(90)
class UnreadSocketCloseTest extends NodeTestBase {

  private static final String CLIENT = "127.0.0.3";
  private final List<WebSocketClient> clients = new ArrayList<>();

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("limits").put("outboundQueueBytes", 64 * 1024).put("pingTimeoutMs", 120_000);
  }

  @Test
  void aClosedSocketWhoseClientStoppedReadingIsDropped() throws Exception {
    String token = backend.addThread("t-unread", "u1").getString("threadToken");
    // The server's kernel may still grow the socket's send buffer (TCP autotuning) and take the
    // rest, close frame included, after the cut-off; then the close completes as usual and the node
    // closes the TCP connection itself. That is a drop too, but not the one under test: try again
    // until the close frame is stuck.
    ClientWebSocket ws;
    for (int attempt = 1; (ws = cutOff(token, "unread0" + attempt)) == null; attempt++) {
      assertThat(attempt).as("attempts whose close frame the kernel took at once").isLessThan(5);
    }

    // The client keeps sending (so no idle timeout would help) and never reads: the node drops it anyway.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (node.node.connections().openFrom(CLIENT) > 0 && System.nanoTime() < until) {
      ws.writeTextMessage(new JsonArray().add(new JsonObject().put("type", "ping").encode()).encode());
      Thread.sleep(500);
    }
    assertThat(node.node.connections().openFrom(CLIENT)).isZero();
    clients.forEach(WebSocketClient::close);
  }

  /**
   * Opens a bridge socket that subscribes and then reads nothing, and publishes until the node cuts
   * it off. The socket, if its TCP connection is still open then; null when it is already gone.
   */
  private ClientWebSocket cutOff(String token, String session) throws Exception {
    // Bound to its own address, so the node's per-address count shows when the TCP connection is gone;
    // a small fixed receive buffer, so the node's queue fills soon.
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setLocalAddress(CLIENT).setReceiveBufferSize(8 * 1024));
    clients.add(client);
    Promise<Void> opened = Promise.promise();
    // The handler is in place before connecting: the open frame may come with the handshake.
    ClientWebSocket ws = client.webSocket();
    ws.textMessageHandler(text -> {
      if (text.equals("o")) opened.tryComplete();
    });
    ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port())
      .setURI("/eventbus/123/" + session + "/websocket")).await();
    opened.future().await(10, TimeUnit.SECONDS);
    JsonObject register = new JsonObject().put("type", "register").put("address", "ecb.thread.t-unread")
      .put("headers", member("u1", token));
    ws.writeTextMessage(new JsonArray().add(register.encode()).encode()).await();
    // A busy machine may take a while to confirm the stream's consumer across the cluster.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (node.node.fanout().subscriptionCount() == 0 && System.nanoTime() < until) Thread.sleep(20);
    assertThat(node.node.fanout().subscriptionCount()).as("subscribed").isPositive();
    ws.pause();

    String filler = "y".repeat(16 * 1024);
    int sent = 0;
    while (node.node.bridge().connectionCount() > 0 && sent < 20_000) {
      List<Future<?>> batch = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        batch.add(node.node.publisher().publish(Streams.thread("t-unread"), new JsonObject().put("kind", "message")
          .put("threadId", "t-unread").put("message", new JsonObject().put("type", "text")
            .put("data", new JsonObject().put("messageText", filler)))));
      }
      Future.all(batch).await();
      sent += 20;
    }
    assertThat(node.node.bridge().connectionCount()).as("cut off after %d messages", sent).isZero();
    return node.node.connections().openFrom(CLIENT) > 0 ? ws : null;
  }
}
