package io.ecb.http;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection with no traffic either way for {@code http.idleTimeoutSeconds} (2 here) is closed,
 * while one whose server keeps it alive (a SockJS bridge connection with its heartbeat, 1 s here)
 * lives on.
 */
@Timeout(60)
class IdleTimeoutTest extends NodeTestBase {

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("http").put("idleTimeoutSeconds", 2).put("headerTimeoutSeconds", 10);
    // The ping sweep stays out of it: the client below stops pinging.
    config.getJsonObject("limits").put("heartbeatSeconds", 1).put("pingTimeoutMs", 30_000);
  }

  @Test
  void anIdleKeptAliveConnectionIsClosed() throws IOException {
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder got = new StringBuilder();
      int b;
      try {
        while ((b = in.read()) >= 0) got.append((char) b);
      } catch (SocketException reset) {
        // A reset also ends the connection.
      }
      // Answered, then closed by the server (well before the header deadline or the read timeout).
      assertThat(got.toString()).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void aConnectionWithHeartbeatsOutlivesTheIdleTimeout() throws InterruptedException {
    BridgeClient c = bridge();
    c.stopPinging();
    // Twice the idle timeout with nothing from the client: the server's heartbeats are traffic.
    Thread.sleep(4_000);
    assertThat(c.heartbeats.get()).isPositive();
    assertThat(c.closed().isComplete()).isFalse();
    assertThat(node.node.bridge().connectionCount()).isEqualTo(1);
    c.close().await();
  }
}
