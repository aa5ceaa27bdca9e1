package io.ecb.module;

import io.vertx.core.Future;
import io.vertx.ext.web.Router;

/**
 * One part of a node (a transport, an API, a push profile, the ops endpoints): built with the
 * collaborators it needs, it adds its routes to every HTTP server instance, starts before the node
 * opens its port, and stops before the node closes it.
 *
 * <p>The node starts its modules in order, waiting for each, and stops them in the reverse order,
 * so a module may rely on the modules listed before it for as long as it runs. A module that holds
 * client connections tells them to reconnect elsewhere in {@link #stop}, while the port is still open.
 */
public interface Module {

  /** Adds this module's routes; called once per HTTP server instance (one per event loop), after every module started. */
  default void mount(Router router) {
  }

  /** Completes once the module can serve (consumers registered, state loaded, timers set). */
  default Future<Void> start() {
    return Future.succeededFuture();
  }

  /** Stops taking work and releases what {@link #start} took. */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
