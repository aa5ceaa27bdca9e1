package io.ecb.bridge;

import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.ecb.transport.SockJsCodec;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link WebSocketTransport} writes stream payloads straight into the WebSocket's connection, a Vert.x
 * internal ({@code io.vertx.core.net.impl}) found through the channel pipeline. A Vert.x upgrade
 * that changes those internals would silently send every frame through the slower public path;
 * these tests fail instead. The transport is built from a real upgrade the way BridgeServer builds it
 * (the HTTP connection taken before {@code toWebSocket()}), and a real client checks the frames.
 */
@Timeout(30)
class WebSocketTransportTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void sockJsFramesTakeTheFastPathAndArriveIntact() throws Exception {
    Delivery one = new Delivery("s", "ecb.thread.t", Buffer.buffer("{\"n\":1,\"text\":\"é \\\"q\\\"\"}"), 1, "e");
    Delivery two = new Delivery("s", "ecb.thread.t", Buffer.buffer("{\"n\":2}"), 2, "e");
    Delivery three = new Delivery("s", "ecb.thread.t", Buffer.buffer("{\"n\":3}"), 3, "e");
    List<String> received = exchange(true, transport -> {
      transport.write(Buffer.buffer("{\"type\":\"reply\"}"));
      transport.deliver(one);
      transport.deliver(new DeliveryBatch(List.of(two, three)));
    }, 5);
    assertThat(received).containsExactly(SockJsCodec.OPEN, SockJsCodec.messageFrame("{\"type\":\"reply\"}"),
      one.sockJsFrame(), two.sockJsFrame(), three.sockJsFrame());
  }

  @Test
  void rawBridgeFramesTakeTheFastPathAndArriveIntact() throws Exception {
    Delivery one = new Delivery("s", "ecb.thread.t", Buffer.buffer("{\"n\":1}"), 1, "e");
    Delivery two = new Delivery("s", "ecb.thread.t", Buffer.buffer("{\"n\":2}"), 2, "e");
    List<String> received = exchange(false, transport -> {
      transport.deliver(one);
      transport.deliver(new DeliveryBatch(List.of(two)));
    }, 2);
    assertThat(received).containsExactly(one.bridgeFrame().toString(), two.bridgeFrame().toString());
  }

  /** Upgrades one connection, lets {@code writes} use its transport on the server's event loop, and returns the first {@code count} messages the client got. */
  private List<String> exchange(boolean sockJs, java.util.function.Consumer<WebSocketTransport> writes, int count) throws Exception {
    Promise<Boolean> fastPath = Promise.promise();
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      HttpConnection connection = req.connection();
      req.toWebSocket().onFailure(fastPath::tryFail).onSuccess(ws -> {
        WebSocketTransport transport = new WebSocketTransport(ws, connection, sockJs, 1 << 20, () -> { });
        transport.open();
        fastPath.complete(transport.fastPath());
        writes.accept(transport);
      });
    }).listen(0, "127.0.0.1").await();
    LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
    WebSocketClient client = vertx.createWebSocketClient();
    // The handler is in place before connecting: the server writes as soon as it has upgraded, and
    // those frames can arrive with the handshake, before a connect() callback would run.
    ClientWebSocket ws = client.webSocket();
    ws.handler(b -> messages.add(b.toString()));
    ws.connect(server.actualPort(), "127.0.0.1", "/").await();
    assertThat(fastPath.future().await())
      .as("WebSocketTransport found the WebSocket's connection (Vert.x internals it relies on are unchanged)").isTrue();
    List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      String m = messages.poll(10, TimeUnit.SECONDS);
      assertThat(m).as("message " + (i + 1) + " of " + count).isNotNull();
      out.add(m);
    }
    client.close().await();
    server.close().await();
    return out;
  }
}
