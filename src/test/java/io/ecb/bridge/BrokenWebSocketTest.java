package io.ecb.bridge;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bridge WebSocket that stops being a valid session is closed by the server, never left open:
 * a message fragmented past the size limit ({@code http.maxFrameBytes} 1024 here, so the transport
 * takes messages up to 6,208 bytes), a single frame past it, and SockJS framing that is not. The
 * client sends no pings, so only the server's close can end the socket before the test gives up.
 */
@Timeout(60)
class BrokenWebSocketTest extends NodeTestBase {

  private WebSocketClient client;

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("http").put("maxFrameBytes", 1024);
    // Not the ping sweep closing the socket: the test is over long before.
    config.getJsonObject("limits").put("pingTimeoutMs", 60_000);
  }

  @BeforeAll
  void client() {
    client = vertx.createWebSocketClient();
  }

  private record Socket(WebSocket ws, Promise<Void> closed) {
    void awaitClosedByServer() throws Exception {
      closed.future().await(15, TimeUnit.SECONDS);
    }
  }

  private Socket open(boolean sockJs) {
    String uri = sockJs ? "/eventbus/123/abcdefgh/websocket" : "/eventbus/websocket";
    WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port()).setURI(uri)).await();
    Promise<Void> closed = Promise.promise();
    ws.closeHandler(v -> closed.tryComplete());
    return new Socket(ws, closed);
  }

  /**
   * A text or binary message in fragments of 2,000 bytes, {@code total} bytes in all. The writes
   * are not awaited: the server may close the socket before the last fragment, and a write to a
   * closed socket fails.
   */
  private static void sendFragmented(WebSocket ws, boolean text, int total) {
    int fragment = 2000;
    for (int sent = 0; sent < total; sent += fragment) {
      boolean last = sent + fragment >= total;
      Buffer part = Buffer.buffer("x".repeat(Math.min(fragment, total - sent)));
      WebSocketFrame frame = sent == 0
        ? (text ? WebSocketFrame.textFrame(part.toString(), last) : WebSocketFrame.binaryFrame(part, last))
        : WebSocketFrame.continuationFrame(part, last);
      ws.writeFrame(frame);
    }
  }

  @Test
  void aRawMessageFragmentedPastTheLimitClosesTheSocket() throws Exception {
    Socket s = open(false);
    sendFragmented(s.ws, false, 10_000);
    s.awaitClosedByServer();
    assertThat(node.node.bridge().connectionCount()).isZero();
  }

  @Test
  void aSockJsMessageFragmentedPastTheLimitClosesTheSocket() throws Exception {
    Socket s = open(true);
    sendFragmented(s.ws, true, 10_000);
    s.awaitClosedByServer();
    assertThat(node.node.bridge().connectionCount()).isZero();
  }

  @Test
  void aSingleFramePastTheLimitClosesTheSocket() throws Exception {
    Socket s = open(true);
    s.ws.writeFrame(WebSocketFrame.textFrame("y".repeat(10_000), true)).await();
    s.awaitClosedByServer();
  }

  @Test
  void sockJsFramingThatIsNotClosesTheSocket() throws Exception {
    Socket s = open(true);
    s.ws.writeTextMessage("not sockjs").await();
    s.awaitClosedByServer();
    assertThat(node.node.bridge().connectionCount()).isZero();
  }
}
