package io.ecb.transport;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A trimmed WebSocket (upgrade headers dropped, connections with the small outbound queues) still delivers everything in order
 * when writes pile up behind a client that does not read, from the event loop and from another
 * thread (the two ways Vert.x's queue fills).
 */
@Timeout(60)
class UpgradedSocketsTest {

  private static final int MESSAGES = 2_000;
  private static final String TEXT = "x".repeat(1_000);

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aBackedUpSocketGetsEveryWriteInOrder() throws Exception {
    Promise<Boolean> shrunk = Promise.promise();
    Promise<Integer> headers = Promise.promise();
    Promise<ServerWebSocket> written = Promise.promise();
    Thread writer = new Thread(() -> {
      ServerWebSocket ws = written.future().await();
      for (int i = 0; i < MESSAGES; i++) ws.writeTextMessage("thread " + i + TEXT);
    });
    // Small socket buffers on both ends, so that the kernel cannot absorb what is written (the
    // receive side would otherwise grow to tens of megabytes) and the connection's queue fills.
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSendBufferSize(64 * 1024)).requestHandler(req -> {
      var connection = req.connection();
      req.toWebSocket().onSuccess(ws -> {
        shrunk.complete(UpgradedSockets.trim(ws, connection));
        headers.complete(ws.headers().size());
        // Once the client has stopped reading: half from the socket's event loop, then half
        // from a plain thread.
        ws.textMessageHandler(go -> {
          for (int i = 0; i < MESSAGES; i++) ws.writeTextMessage("loop " + i + TEXT);
          written.complete(ws);
        });
      });
    }).listen(0, "127.0.0.1").await();
    writer.start();

    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setReceiveBufferSize(64 * 1024));
    WebSocket socket = client.connect(server.actualPort(), "127.0.0.1", "/").await();
    List<String> received = new ArrayList<>();
    Promise<Void> all = Promise.promise();
    socket.textMessageHandler(t -> {
      received.add(t);
      if (received.size() == 2 * MESSAGES) all.tryComplete();
    });
    socket.pause();
    socket.writeTextMessage("go");
    assertThat(shrunk.future().await()).isTrue();
    assertThat(headers.future().await()).isZero();
    writer.join();
    // Megabytes wait unread: the connection's queue holds what the channel would not take.
    assertThat(written.future().await().writeQueueFull()).isTrue();

    socket.resume();
    all.future().await();
    for (int i = 0; i < MESSAGES; i++) {
      assertThat(received.get(i)).startsWith("loop " + i + "x");
      assertThat(received.get(MESSAGES + i)).startsWith("thread " + i + "x");
    }
  }
}
