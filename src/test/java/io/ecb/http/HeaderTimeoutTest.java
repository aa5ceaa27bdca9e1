package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request headers must arrive in time ({@code http.headerTimeoutSeconds} 1 here; the idle timeout,
 * 30 s, is far off): a silent connection and one dripping its header bytes are closed, for a
 * connection's first request and for a later one on a kept-alive connection, while a kept-alive
 * connection that merely waits between requests stays usable.
 */
@Timeout(60)
class HeaderTimeoutTest extends NodeTestBase {

  private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("http").put("headerTimeoutSeconds", 1).put("idleTimeoutSeconds", 30);
  }

  private Socket open() throws IOException {
    Socket s = new Socket("127.0.0.1", node.port());
    // Far beyond the header deadline, well within the idle timeout: a read ending before it is the server's doing.
    s.setSoTimeout(15_000);
    return s;
  }

  /** Reads one response to a /health request (its body is short and has a Content-Length). */
  private static String readResponse(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("response so far: %s", head).isNotNegative();
      head.append((char) b);
    }
    String h = head.toString();
    int length = Integer.parseInt(h.replaceAll("(?is).*content-length:\\s*(\\d+).*", "$1"));
    assertThat(in.readNBytes(length)).hasSize(length);
    return h;
  }

  /** Writes one byte every 200 ms until the connection breaks, from its own thread. */
  private static Thread drip(Socket s, String text) {
    Thread t = new Thread(() -> {
      try {
        OutputStream out = s.getOutputStream();
        for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
          out.write(b);
          out.flush();
          Thread.sleep(200);
        }
      } catch (IOException | InterruptedException gone) {
        // The server closed the connection, or the test is over.
      }
    });
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void aSilentConnectionIsClosed() throws IOException {
    try (Socket s = open()) {
      assertThat(RawSocket.readToEnd(s)).isEmpty();
    }
  }

  @Test
  void headersDrippedSlowerThanTheDeadlineCloseTheConnection() throws IOException {
    try (Socket s = open()) {
      // 40 header bytes at 5 per second take 8 s, past the 1 s deadline; each byte alone is far from idle.
      Thread t = drip(s, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "z".repeat(40) + "\r\n\r\n");
      assertThat(RawSocket.readToEnd(s)).isEmpty();
      t.interrupt();
    }
  }

  @Test
  void aKeptAliveConnectionWaitsForItsNextRequestButNotForDrippedHeaders() throws Exception {
    try (Socket s = open()) {
      OutputStream out = s.getOutputStream();
      out.write(HEALTH.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(readResponse(s)).startsWith("HTTP/1.1 200");
      // Waiting between requests is not sending headers slowly: twice the deadline passes, and the
      // connection still serves the next request.
      Thread.sleep(2_000);
      out.write(HEALTH.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(readResponse(s)).startsWith("HTTP/1.1 200");

      Thread t = drip(s, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "z".repeat(40) + "\r\n\r\n");
      assertThat(RawSocket.readToEnd(s)).isEmpty();
      t.interrupt();
    }
  }
}
