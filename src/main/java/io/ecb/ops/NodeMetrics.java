package io.ecb.ops;

import io.ecb.auth.TokenVerifier;
import io.ecb.backend.BackendClient;
import io.ecb.bridge.BridgeServer;
import io.ecb.delivery.Fanout;
import io.ecb.engine.StreamLog;
import io.ecb.http.ConnectionGuard;
import io.ecb.http.EventStreams;
import io.ecb.module.Module;
import io.ecb.socketio.SocketIoServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node's Prometheus metrics at {@code GET /metrics}. Counters read the node's own tallies
 * (LongAdders on the hot paths) when scraped, so delivering a message costs no metrics call.
 */
public final class NodeMetrics implements Module {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private final BackendClient backend;

  public NodeMetrics(BridgeServer bridge, EventStreams events, SocketIoServer socketIo, Fanout fanout, StreamLog log,
                     TokenVerifier tokens, ConnectionGuard connections, BackendClient backend) {
    this.backend = backend;
    Gauge.builder("ecb_connections", bridge, b -> b.connectionCount()).tag("transport", "bridge")
      .description("Open event-bus bridge connections").register(registry);
    Gauge.builder("ecb_connections", events, e -> e.connectionCount()).tag("transport", "sse")
      .description("Open SSE streams").register(registry);
    Gauge.builder("ecb_connections", socketIo, s -> s.connectionCount()).tag("transport", "socketio")
      .description("Open Socket.IO (Engine.IO) connections").register(registry);
    Gauge.builder("ecb_subscriptions", fanout, f -> f.subscriptionCount())
      .description("Stream subscriptions of this node's connections").register(registry);
    Gauge.builder("ecb_streams", fanout, f -> f.streamCount())
      .description("Streams this node follows (one event-bus consumer each)").register(registry);
    counter("ecb_deliveries", fanout.delivered, "Payloads written to connections");
    counter("ecb_gap_filled_messages", fanout.gapsFilled, "Payloads missing from the event bus and delivered from history");
    counter("ecb_dropped_messages", fanout.lost, "Payloads neither delivered live nor found in history");
    counter("ecb_recovered_messages", log.recoveredMessages(), "Missed payloads returned to reconnecting clients");
    counter("ecb_unrecoverable_recoveries", log.unrecoverableRecoveries(), "Recoveries history could not cover");
    Gauge.builder("ecb_history_bytes", log, l -> l.historyBytes())
      .description("Bytes of stream history this node owns (bounded by history.maxBytes)").register(registry);
    counter("ecb_history_evicted_streams", log.evictedStreams(), "Streams whose history was evicted to stay under history.maxBytes");
    counter("ecb_bridge_refused_frames", bridge.refused, "Bridge frames refused (address, direction or permission)");
    counter("ecb_slow_consumer_disconnects", bridge.slowConsumers, "Connections cut off for not reading");
    counter("ecb_token_signature_checks", tokens.signatureChecks, "Token signatures checked (not answered from memory)");
    counter("ecb_token_check_failures", tokens.failedChecks().failures, "Client credentials that failed their check");
    counter("ecb_token_checks_refused", tokens.failedChecks().refused, "Token checks refused unexamined: caller past limits.failedAuthPerSecond");
    counter("ecb_refused_connections", connections.refused, "HTTP connections closed on arrival: too many open from their address");
  }

  /** Times webhook calls from here on. */
  @Override
  public Future<Void> start() {
    backend.observe(sample -> Timer.builder("ecb_webhook")
      .description("Webhook calls to the customer backend")
      .tag("operation", sample.operation())
      .tag("outcome", sample.outcome())
      .publishPercentileHistogram()
      .register(registry)
      .record(sample.nanos(), TimeUnit.NANOSECONDS));
    return Future.succeededFuture();
  }

  private void counter(String name, LongAdder adder, String description) {
    FunctionCounter.builder(name, adder, LongAdder::doubleValue).description(description).register(registry);
  }

  @Override
  public void mount(Router router) {
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
  }
}
