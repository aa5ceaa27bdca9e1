package io.ecb.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An ECB node as its own JVM ({@code io.ecb.Main} on the test classpath), the way operators run it,
 * so that it can be stopped with a real SIGTERM and started again with the same config (and thus
 * the same HTTP port). Its output goes to a file, kept for failure messages.
 */
public final class NodeProcess {

  public final int port;
  private final Path configFile;
  private final Path log;
  private Process process;

  public NodeProcess(JsonObject config) throws IOException {
    this.port = config.getJsonObject("http").getInteger("port");
    this.configFile = Files.createTempFile("ecb-config", ".json");
    Files.writeString(configFile, config.encodePrettily());
    this.log = Files.createTempFile("ecb-node", ".log");
  }

  /** Launches the JVM (appending to the same log as earlier runs). */
  public void launch() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A small heap and the quick JIT: the machine runs several of these next to the test JVM.
    command.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    command.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.ecb.Main", "-conf", configFile.toString()));
    process = new ProcessBuilder(command).redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /**
   * Completes once {@code /ready} answers 200; fails when the process exits first or after
   * {@code timeoutMs}. A starting node has no event to wait for from outside, so /ready is asked
   * every 200 ms, as a readiness probe does.
   */
  public Future<Void> ready(Vertx vertx, WebClient http, long timeoutMs) {
    Promise<Void> ready = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    Process p = process;
    long timer = vertx.setPeriodic(0, 200, id -> {
      if (ready.future().isComplete()) {
        vertx.cancelTimer(id);
      } else if (!p.isAlive()) {
        ready.tryFail("node on port " + port + " exited with " + p.exitValue() + ":\n" + output());
      } else if (System.currentTimeMillis() > deadline) {
        ready.tryFail("node on port " + port + " not ready within " + timeoutMs + " ms:\n" + output());
      } else {
        http.get(port, "127.0.0.1", "/ready").timeout(2000).send()
          .onSuccess(r -> {
            if (r.statusCode() == 200) ready.tryComplete();
          });
      }
    });
    return ready.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /** SIGTERM; completes with the exit code once the process has exited. */
  public Future<Integer> terminate() {
    Process p = process;
    p.destroy();
    return Future.fromCompletionStage(p.onExit()).map(Process::exitValue);
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  /** Everything the node printed so far, in all its runs. */
  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  /** Kills what is still running and removes the files. */
  public void destroy() {
    if (process != null) process.destroyForcibly();
    try {
      if (process != null) process.onExit().get();
      Files.deleteIfExists(configFile);
      Files.deleteIfExists(log);
    } catch (Exception ignored) {
      // best effort at the end of a test
    }
  }
}
