package io.ecb.ops;

import io.ecb.backend.BackendClient;
import io.ecb.engine.Engine;
import io.ecb.module.Module;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * Liveness ({@code GET /health}: the process answers) and readiness ({@code GET /ready}: the node
 * should get traffic). Ready means: not draining, this node's share of the engine's state is safe (each of
 * its partitions has its backup, so losing a member loses no history), a message makes the round trip over the
 * clustered event bus, and the customer backend's circuit is not open.
 */
public final class NodeHealth implements Module {

  private final Vertx vertx;
  private final Engine engine;
  private final BackendClient backend;
  private final String pingAddress = "ecb.ready." + UUID.randomUUID();
  private MessageConsumer<String> pong;
  private volatile boolean draining;

  public NodeHealth(Vertx vertx, Engine engine, BackendClient backend) {
    this.vertx = vertx;
    this.engine = engine;
    this.backend = backend;
  }

  @Override
  public void mount(Router router) {
    router.get("/health").handler(liveness());
    router.get("/ready").handler(readiness());
  }

  @Override
  public Future<Void> start() {
    pong = vertx.eventBus().<String>consumer(pingAddress).handler(m -> m.reply("pong"));
    return pong.completion();
  }

  /** Reports not ready from here on, so the load balancer sends new clients elsewhere while the others drain. */
  @Override
  public Future<Void> stop() {
    draining = true;
    return pong == null ? Future.succeededFuture() : pong.unregister();
  }

  private Handler<RoutingContext> liveness() {
    return HealthCheckHandler.create(vertx).register("process", p -> p.complete(Status.OK()));
  }

  private Handler<RoutingContext> readiness() {
    HealthChecks checks = HealthChecks.create(vertx)
      .register("accepting", p -> p.complete(draining ? Status.KO() : Status.OK()))
      // This member's own partitions have their backups; the cluster-wide check would make every
      // pod unready at once while partitions migrate during a rollout.
      .register("cluster-safe", 2000, p -> engine.safe()
        .onComplete(ar -> p.complete(ar.succeeded() && ar.result() ? Status.OK() : Status.KO())))
      .register("event-bus", 2000, p -> vertx.eventBus().request(pingAddress, "ping", new DeliveryOptions().setSendTimeout(1500))
        .onComplete(ar -> p.complete(ar.succeeded() ? Status.OK() : Status.KO())))
      .register("backend-circuit", p -> p.complete(backend.circuitOpen() ? Status.KO() : Status.OK()));
    return HealthCheckHandler.createWithHealthChecks(checks);
  }
}
