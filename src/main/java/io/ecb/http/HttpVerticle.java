package io.ecb.http;

import io.ecb.EcbNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.concurrent.TimeUnit;

/**
 * The node's HTTP server: bridge, chat API, event streams, the JavaScript client, and the demo
 * when enabled. Deployed once per event loop; the instances share the port.
 */
public final class HttpVerticle extends VerticleBase {

  private final EcbNode node;
  private final Promise<Integer> boundPort;
  private HttpServer server;

  public HttpVerticle(EcbNode node, Promise<Integer> boundPort) {
    this.node = node;
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    var config = node.config;
    Router router = router(vertx, node);

    int frame = config.http.maxFrameBytes;
    HttpServerOptions options = new HttpServerOptions()
      .setHost(config.http.host)
      .setPort(config.http.port)
      // SockJS escaping can grow a frame up to six times; the bridge checks the decoded size.
      .setMaxWebSocketFrameSize(frame * 6 + 64)
      .setMaxWebSocketMessageSize(frame * 6 + 64)
      .setCompressionSupported(false)
      // No traffic either way for this long closes the connection; streams and sockets keep
      // theirs alive with heartbeats well inside it.
      .setIdleTimeout(config.http.idleTimeoutSeconds)
      .setIdleTimeoutUnit(TimeUnit.SECONDS)
      // Cleartext HTTP/2 (which browsers never use) would delay the connection handler until the
      // first bytes arrive, so a silent connection would escape the header deadline and the
      // per-address count.
      .setHttp2ClearTextEnabled(false)
      .setTcpNoDelay(true);
    server = vertx.createHttpServer(options)
      .connectionHandler(c -> node.connections.accept(c, options))
      .requestHandler(router);
    return server.listen().onSuccess(s -> boundPort.tryComplete(s.actualPort()));
  }

  /** Every route the node serves; /openapi.json describes each of them. */
  public static Router router(Vertx vertx, EcbNode node) {
    Router router = Router.router(vertx);
    // First: every handler after it may ask for the request's client address.
    router.route().handler(node.clientAddress.handler());
    node.bridge.mount(router);
    node.socketIo.mount(router);
    node.pushApi.mount(router);
    node.notify.mount(router);
    node.webPush.mount(router);
    node.n10n.mount(router);
    node.channelSender.mount(router);
    node.api.mount(router);
    router.get("/health").handler(node.health.liveness());
    router.get("/ready").handler(node.health.readiness());
    router.get("/metrics").handler(node.metrics.handler());
    router.get("/openapi.json").handler(ctx -> ctx.response()
      .putHeader("Content-Type", "application/json")
      .sendFile("openapi.json"));
    // The project's own bridge client for browsers, and sockjs-client from its WebJar.
    // The project's own client SDK, and sockjs-client from its WebJar.
    ClientSdk.mount(router, vertx);
    router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
    if (node.demo != null) node.demo.mount(router);
    router.route().failureHandler(HttpErrors::routerFailure);
    router.route().last().handler(ctx -> ctx.fail(404));
    return router;
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
