package io.ecb;

import io.ecb.cluster.ClusterSetup;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.demo.DemoBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * {@code java -jar ecb.jar [-conf FILE]}: reads the config (file from {@code -conf}, else
 * {@code ECB_CONFIG}, else {@code conf/config.json} when present; then {@code ECB_*} variables),
 * joins the cluster and starts a node. On SIGTERM the node drains and leaves the cluster cleanly.
 */
public final class Main {

  private static final Logger LOG = Logger.getLogger(Main.class.getName());

  public static void main(String[] args) throws Exception {
    if (System.getProperty("java.util.logging.config.file") == null) {
      try (var in = Main.class.getResourceAsStream("/logging.properties")) {
        if (in != null) java.util.logging.LogManager.getLogManager().readConfiguration(in);
      }
    }
    System.setProperty("hazelcast.logging.type", System.getProperty("hazelcast.logging.type", "jdk"));
    String file = System.getenv("ECB_CONFIG");
    for (int i = 0; i < args.length - 1; i++) if (args[i].equals("-conf")) file = args[i + 1];
    Path path = file != null ? Path.of(file) : Files.exists(Path.of("conf/config.json")) ? Path.of("conf/config.json") : null;
    JsonObject json = ConfigLoader.load(path, System.getenv());
    DemoBackend.applyDefaults(json);
    EcbConfig config = new EcbConfig(json);

    Vertx vertx;
    EcbNode node;
    try {
      Vertx clustered = ClusterSetup.start(config, new VertxOptions()).await();
      vertx = clustered;
      // On a refusal the node leaves the cluster again before the process exits.
      node = EcbNode.start(clustered, config)
        .recover(e -> clustered.close().transform(x -> Future.<EcbNode>failedFuture(e)))
        .await();
    } catch (IllegalStateException | VertxException e) {
      // A refusal to start over configuration: its message says what to fix.
      System.err.println("ECB did not start: " + e.getMessage());
      System.exit(1);
      return;
    }
    if (config.demo.enabled) {
      LOG.info("Demo chat page: http://localhost:" + node.port() + "/");
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(vertx, node, config), "ecb-shutdown"));
  }

  /**
   * Drains within shutdown.drainSeconds, then leaves the cluster. Messages go to stderr directly:
   * java.util.logging resets its handlers in its own shutdown hook, which may run first.
   */
  private static void shutdown(Vertx vertx, EcbNode node, EcbConfig config) {
    System.err.println("ECB shutting down: telling clients to reconnect elsewhere");
    CountDownLatch done = new CountDownLatch(1);
    // The close is chained by callback, not by eventually(): a future bound to one of the node's
    // event loops could not complete once Vert.x has shut them down.
    node.stop().onComplete(ar -> vertx.close().onComplete(x -> done.countDown()));
    try {
      // The drain, then up to 10 s more to leave the cluster (Kubernetes grants 45 s in all).
      if (!done.await(config.shutdown.drainSeconds + 10, TimeUnit.SECONDS)) {
        System.err.println("ECB shutdown did not finish within " + config.shutdown.drainSeconds + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.err.println("ECB stopped and left the cluster");
  }
}
