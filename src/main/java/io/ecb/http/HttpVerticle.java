package io.ecb.http;

import io.ecb.config.EcbConfig;
import io.ecb.module.Module;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node's HTTP server: the routes of every module (bridge, Socket.IO, APIs, event streams, push
 * profiles, ops, the demo when enabled) and the JavaScript client. Deployed once per event loop;
 * the instances share the port.
 */
public final class HttpVerticle extends VerticleBase {

  private final EcbConfig config;
  private final ClientAddress clientAddress;
  private final ConnectionGuard connections;
  private final List<Module> modules;
  private final Promise<Integer> boundPort;
  private HttpServer server;

  public HttpVerticle(EcbConfig config, ClientAddress clientAddress, ConnectionGuard connections, List<Module> modules,
                      Promise<Integer> boundPort) {
    this.config = config;
    this.clientAddress = clientAddress;
    this.connections = connections;
    this.modules = modules;
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    Router router = router(vertx, clientAddress, modules);

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
      .connectionHandler(c -> connections.accept(c, options))
      .requestHandler(router);
    return server.listen().onSuccess(s -> boundPort.tryComplete(s.actualPort()));
  }

  /** Every route the node serves; /openapi.json describes each of them. */
  public static Router router(Vertx vertx, ClientAddress clientAddress, List<Module> modules) {
    Router router = Router.router(vertx);
    // First: every handler after it may ask for the request's client address. Without a trusted
    // proxy that is the TCP peer, which ClientAddress.of reads when asked, so no request pays for
    // a route that would only note it.
    if (clientAddress.trustsProxies()) router.route().handler(clientAddress.handler());
    // In the node's order: a module's catch-all routes come after the routes of those before it.
    for (Module m : modules) m.mount(router);
    router.get("/openapi.json").handler(ctx -> ctx.response()
      .putHeader("Content-Type", "application/json")
      .sendFile("openapi.json"));
    // The project's own client SDK, and sockjs-client from its WebJar.
    ClientSdk.mount(router, vertx);
    router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
    router.route().failureHandler(HttpErrors::routerFailure);
    router.route().last().handler(ctx -> ctx.fail(404));
    return router;
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
