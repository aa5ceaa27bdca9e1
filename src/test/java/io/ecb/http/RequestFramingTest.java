package io.ecb.http;

import io.ecb.support.NodeTestBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request with both Content-Length and Transfer-Encoding is refused with 400 and its connection
 * closed: a proxy in front that framed it by the other header would otherwise slip the rest of the
 * body through as a request of its own (smuggling). Sent over a raw socket, since an HTTP client
 * would not send such a request.
 */
@Timeout(60)
class RequestFramingTest extends NodeTestBase {

  private String exchange(String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return RawSocket.readToEnd(s);
    }
  }

  private static int responses(String text) {
    return text.split("HTTP/1\\.[01] ", -1).length - 1;
  }

  @Test
  void contentLengthWithChunkedIsRefusedAndTheConnectionClosed() throws IOException {
    // The chunked body ends at once; by Content-Length the "smuggled" request would be body.
    String smuggled = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    String got = exchange("POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      + "Content-Length: " + (5 + smuggled.length()) + "\r\nTransfer-Encoding: chunked\r\n\r\n"
      + "0\r\n\r\n" + smuggled);
    assertThat(got).containsPattern("^HTTP/1\\.[01] 400 ");
    assertThat(responses(got)).as(got).isEqualTo(1);
  }

  @Test
  void contentLengthWithAnyTransferEncodingIsRefused() throws IOException {
    String got = exchange("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      + "Transfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n"
      + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assertThat(got).containsPattern("^HTTP/1\\.[01] 400 ");
    assertThat(responses(got)).as(got).isEqualTo(1);
  }

  @Test
  void aWellFramedRequestKeepsTheConnection() throws IOException {
    // Two pipelined requests, the second asking to close: both answered.
    String got = exchange("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
      + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assertThat(responses(got)).as(got).isEqualTo(2);
    assertThat(got).startsWith("HTTP/1.1 200");
  }
}
