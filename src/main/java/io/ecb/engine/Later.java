package io.ecb.engine;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.function.Supplier;

/** How the in-memory engine answers: at once, yet through the caller's context as a clustered store would. */
final class Later {

  private Later() {
  }

  /** Runs {@code change} now and hands its result, or its failure, to the caller's context. */
  static <R> Future<R> later(Vertx vertx, Supplier<R> change) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Promise<R> promise = context.promise();
    try {
      R result = change.get();
      context.runOnContext(v -> promise.complete(result));
    } catch (RuntimeException e) {
      context.runOnContext(v -> promise.fail(e));
    }
    return promise.future();
  }
}
