package io.ecb.ops;

import io.ecb.support.BridgeClient;
import io.ecb.support.StubBackend;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node started as its own process, the way operators run it, stopped with SIGTERM: connected
 * clients are told to reconnect elsewhere (close 4000), and the process leaves the cluster and exits.
 */
@Timeout(90)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GracefulShutdownTest {

  private Vertx vertx;
  private StubBackend backend;

  @BeforeAll
  void start() {
    vertx = Vertx.vertx();
    backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
  }

  @AfterAll
  void stop() {
    backend.close().await();
    vertx.close().await();
  }

  @Test
  void sigtermDrainsClientsAndExits() throws Exception {
    JsonObject config = TestNode.config(TestNode.newClusterName(), backend.url(), TestKeys.rsa());
    config.getJsonObject("shutdown").put("drainSeconds", 10);
    int port = config.getJsonObject("http").getInteger("port");
    Path file = Files.createTempFile("ecb-config", ".json");
    Files.writeString(file, config.encodePrettily());

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.ecb.Main", "-conf", file.toString()));
    Path log = Files.createTempFile("ecb-node", ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    List<String> output = new ArrayList<>();
    CompletableFuture<Void> listening = new CompletableFuture<>();
    // The node's output goes to a file, followed as it grows: Process.destroy() closes the pipes,
    // which would lose what the node prints while it drains.
    Thread reader = new Thread(() -> {
      try (BufferedReader r = Files.newBufferedReader(log)) {
        while (true) {
          String line = r.readLine();
          if (line == null) {
            if (!process.isAlive()) {
              for (String rest; (rest = r.readLine()) != null; ) synchronized (output) { output.add(rest); }
              return;
            }
            Thread.sleep(20);
            continue;
          }
          synchronized (output) {
            output.add(line);
          }
          if (line.contains("ECB listening on port")) listening.complete(null);
        }
      } catch (Exception ignored) {
        // the test is over
      }
    });
    reader.setDaemon(true);
    reader.start();
    try {
      listening.get(60, TimeUnit.SECONDS);
      String token = backend.addThread("t-term", "u1", "u2").getString("threadToken");
      BridgeClient client = BridgeClient.connect(vertx, port).await();
      client.register("ecb.thread.t-term", new JsonObject().put("userToken", backend.userToken("u1")).put("threadToken", token)).await();

      process.destroy(); // SIGTERM
      JsonObject closed = client.closed().await();
      assertThat(closed.getInteger("code")).isEqualTo(4000);
      assertThat(closed.getString("reason")).contains("reconnect");
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("process exits after draining").isTrue();
      reader.join(5000);
      synchronized (output) {
        assertThat(output).anyMatch(l -> l.contains("shutting down"));
        assertThat(output).anyMatch(l -> l.contains("left the cluster"));
        assertThat(output).noneMatch(l -> l.contains("did not finish"));
      }
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(file);
      Files.deleteIfExists(log);
    }
  }
}
