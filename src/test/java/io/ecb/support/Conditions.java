package io.ecb.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Waiting for state a test can observe but not be told about. */
public final class Conditions {

  /** How long a test waits for anything before failing. */
  private static final long WAIT_SECONDS = 20;

  private Conditions() {
  }

  /** Returns once {@code condition} holds, checked every 20 ms on {@code vertx}; fails after 20 s. */
  public static void until(Vertx vertx, BooleanSupplier condition, String what) {
    Promise<Void> done = Promise.promise();
    long timer = vertx.setPeriodic(20, id -> {
      if (condition.getAsBoolean()) done.tryComplete();
    });
    try {
      done.future().timeout(WAIT_SECONDS, TimeUnit.SECONDS).await();
    } catch (RuntimeException e) {
      throw new AssertionError("timed out waiting until " + what, e);
    } finally {
      vertx.cancelTimer(timer);
    }
  }

  /**
   * The result of {@code step}, waiting at most 20 s. A step that never completes fails the test
   * by its name, with every thread's stack on stderr, where a bare {@code await()} would stop the
   * test until its class's timeout and say nothing of where it stood.
   */
  public static <T> T within(Future<T> step, String what) {
    try {
      return step.await(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      String failure = "no answer within " + WAIT_SECONDS + " s: " + what;
      StringBuilder dump = new StringBuilder(failure).append('\n');
      for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
        dump.append('"').append(t.getKey().getName()).append("\" ").append(t.getKey().getState()).append('\n');
        for (StackTraceElement frame : t.getValue()) dump.append("    at ").append(frame).append('\n');
      }
      System.err.print(dump);
      throw new AssertionError(failure);
    }
  }
}
