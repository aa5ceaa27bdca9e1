package io.ecb.support;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;


/**
 * One ECB node (a cluster of one, on Hazelcast like production) and one stub customer backend per
 * test class; {@code vertx} is the clients' own Vert.x, separate from the node's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class NodeTestBase {

  protected Vertx vertx;
  protected StubBackend backend;
  protected TestNode node;
  protected WebClient http;

  /** Lets a test class adjust the node's config before it starts. */
  protected void configure(JsonObject config) {
  }

  @BeforeAll
  void startNode() {
    vertx = Vertx.vertx();
    backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
    JsonObject config = TestNode.config(TestNode.newClusterName(), backend.url(), TestKeys.rsa());
    // Short enough for a test to see a silent socket closed; the standard client pings every 5 s.
    config.getJsonObject("limits").put("pingTimeoutMs", 6000);
    configure(config);
    node = TestNode.start(config).await();
    http = WebClient.create(vertx);
  }

  @BeforeEach
  void resetBackend() {
    backend.reset();
  }

  @AfterAll
  void stopNode() {
    if (node != null) node.close().await();
    if (backend != null) backend.close().await();
    if (vertx != null) vertx.close().await();
  }

  /** The context of a fresh verticle on the node: an event loop of the node's, as a connection has. */
  protected ContextInternal verticleContext() {
    Promise<Context> started = Promise.promise();
    node.vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        started.complete(context);
        return Future.succeededFuture();
      }
    }).await();
    return (ContextInternal) started.future().await();
  }

  protected BridgeClient bridge() {
    return BridgeClient.connect(vertx, node.port()).await();
  }

  protected JsonObject user(String userId) {
    return new JsonObject().put("userToken", backend.userToken(userId));
  }

  protected JsonObject member(String userId, String threadToken) {
    return new JsonObject().put("userToken", backend.userToken(userId)).put("threadToken", threadToken);
  }
}
