package io.ecb.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** Reading what a node sends on a raw socket, for tests of requests no HTTP client would send. */
final class RawSocket {

  private RawSocket() {
  }

  /** Reads until the server closes the connection; what it sent before. */
  static String readToEnd(Socket s) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) got.write(buf, 0, n);
    } catch (SocketException reset) {
      // A reset also ends the connection.
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }
}
