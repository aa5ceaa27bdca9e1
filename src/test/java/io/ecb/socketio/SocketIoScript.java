package io.ecb.socketio;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code src/test/js/socketio-client.js} under Node.js: the official socket.io-client running one
 * scenario. Its JSON lines are read as they come, so a test can wait for {@code {"ready": true}}
 * before it publishes, then for the result.
 */
final class SocketIoScript implements AutoCloseable {

  static final Path DIR = Path.of("src/test/js");
  private static final Path CLIENT = DIR.resolve("node_modules/socket.io-client");
  private static final long TIMEOUT_SECONDS = 60;

  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final StringBuilder printed = new StringBuilder();
  private final Writer stdin;

  private SocketIoScript(Process process) {
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) lines.add(line);
      } catch (IOException ignored) {
        // the process ended
      }
      lines.add("<eof>");
    }, "socketio-script");
    reader.setDaemon(true);
    reader.start();
  }

  /** The socket.io-client package that {@code npm ci} installed in {@link #DIR}. */
  static Path client() {
    assertThat(CLIENT).as("run `npm ci` in src/test/js first").exists();
    return CLIENT;
  }

  static SocketIoScript start(String scenario, JsonObject args) {
    client();
    try {
      return new SocketIoScript(new ProcessBuilder("node", "socketio-client.js", scenario, args.encode())
        .directory(DIR.toFile()).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a scenario to its end and returns its result, which must be ok. */
  static JsonObject run(String scenario, JsonObject args) {
    try (SocketIoScript s = start(scenario, args)) {
      return s.result();
    }
  }

  /** Waits for the next JSON line with {@code key} (lines that are not JSON, logs, are kept for the report). */
  JsonObject awaitLine(String key) {
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      while (true) {
        String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        assertThat(line).as("node printed a line with %s in time; it printed:%n%s", key, printed).isNotNull();
        assertThat(line).as("node ended before a line with %s; it printed:%n%s", key, printed).isNotEqualTo("<eof>");
        printed.append(line).append('\n');
        if (line.startsWith("{")) {
          JsonObject o = new JsonObject(line);
          if (o.containsKey(key)) return o;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  JsonObject ready() {
    return awaitLine("ready");
  }

  JsonObject result() {
    JsonObject result = awaitLine("ok");
    assertThat(result.getBoolean("ok")).as("scenario succeeded; node printed:%n%s", printed).isTrue();
    return result;
  }

  void tell(String line) {
    try {
      stdin.write(line + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
  }
}
