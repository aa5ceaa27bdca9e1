package io.ecb.module;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** A task a module runs every {@code periodMs} while it is started. */
public final class Periodic implements Module {

  private final Vertx vertx;
  private final long periodMs;
  private final Runnable task;
  private long timer = -1;

  public Periodic(Vertx vertx, long periodMs, Runnable task) {
    this.vertx = vertx;
    this.periodMs = periodMs;
    this.task = task;
  }

  @Override
  public Future<Void> start() {
    timer = vertx.setPeriodic(periodMs, t -> task.run());
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }
}
