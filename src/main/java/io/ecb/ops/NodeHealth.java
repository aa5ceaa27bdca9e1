package io.ecb.ops;

import io.ecb.EcbNode;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * Liveness ({@code GET /health}: the process answers) and readiness ({@code GET /ready}: the node
 * should get traffic). Ready means: not draining, this node's share of the engine's state is safe (each of
 * its partitions has its backup, so losing a member loses no history), a message makes the round trip over the
 * clustered event bus, and the customer backend's circuit is not open.
 */
public final class NodeHealth {

  private final Vertx vertx;
  private final EcbNode node;
  private final String pingAddress = "ecb.ready." + UUID.randomUUID();
  private final MessageConsumer<String> pong;
  private volatile boolean draining;

  public NodeHealth(Vertx vertx, EcbNode node) {
    this.vertx = vertx;
    this.node = node;
    this.pong = vertx.eventBus().<String>consumer(pingAddress).handler(m -> m.reply("pong"));
  }

  public void draining() {
    draining = true;
  }

  public Handler<RoutingContext> liveness() {
    return HealthCheckHandler.create(vertx).register("process", p -> p.complete(Status.OK()));
  }

  public Handler<RoutingContext> readiness() {
    HealthChecks checks = HealthChecks.create(vertx)
      .register("accepting", p -> p.complete(draining ? Status.KO() : Status.OK()))
      // This member's own partitions have their backups; the cluster-wide check would make every
      // pod unready at once while partitions migrate during a rollout.
      .register("cluster-safe", 2000, p -> node.engine.safe()
        .onComplete(ar -> p.complete(ar.succeeded() && ar.result() ? Status.OK() : Status.KO())))
      .register("event-bus", 2000, p -> vertx.eventBus().request(pingAddress, "ping", new DeliveryOptions().setSendTimeout(1500))
        .onComplete(ar -> p.complete(ar.succeeded() ? Status.OK() : Status.KO())))
      .register("backend-circuit", p -> p.complete(node.backend.circuitOpen() ? Status.KO() : Status.OK()));
    return HealthCheckHandler.createWithHealthChecks(checks);
  }

  public void close() {
    pong.unregister();
  }
}
