package io.ecb.support;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting for state a test can observe but not be told about. */
public final class Conditions {

  private Conditions() {
  }

  /** Returns once {@code condition} holds, checked every 20 ms on {@code vertx}; fails after 20 s. */
  public static void until(Vertx vertx, BooleanSupplier condition, String what) {
    Promise<Void> done = Promise.promise();
    long timer = vertx.setPeriodic(20, id -> {
      if (condition.getAsBoolean()) done.tryComplete();
    });
    try {
      done.future().timeout(20, TimeUnit.SECONDS).await();
    } catch (RuntimeException e) {
      throw new AssertionError("timed out waiting until " + what, e);
    } finally {
      vertx.cancelTimer(timer);
    }
  }
}
