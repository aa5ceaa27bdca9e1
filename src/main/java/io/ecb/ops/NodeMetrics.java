package io.ecb.ops;

import io.ecb.auth.TokenVerifier;
import io.ecb.backend.BackendClient;
import io.ecb.bridge.BridgeServer;
import io.ecb.delivery.Fanout;
import io.ecb.engine.Engine;
import io.ecb.engine.StreamLog;
import io.ecb.http.ConnectionGuard;
import io.ecb.http.EventStreams;
import io.ecb.module.Module;
import io.ecb.socketio.SocketIoServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node's Prometheus metrics at {@code GET /metrics}. Counters read the node's own tallies
 * (LongAdders on the hot paths) when scraped, so delivering a message costs no metrics call.
 * Every series exists from start, at zero, so that dashboards and alerts see it before its first
 * event (k8s/grafana-dashboard.json reads only such series).
 */
public final class NodeMetrics implements Module {

  /** The section 5 webhooks, whose timers exist before their first call. */
  static final List<String> WEBHOOKS = List.of("getUserToken", "getContacts", "getThreads", "createThread",
    "getThread", "addThreadMessage", "markRead");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private final BackendClient backend;

  public NodeMetrics(BridgeServer bridge, EventStreams events, SocketIoServer socketIo, Fanout fanout, StreamLog log,
                     TokenVerifier tokens, ConnectionGuard connections, BackendClient backend, Engine engine) {
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
    for (String operation : WEBHOOKS) webhookTimer(operation, "ok");
    Gauge.builder("ecb_backend_circuit_state", backend, b -> switch (b.circuitState()) {
        case CLOSED -> 0;
        case HALF_OPEN -> 1;
        case OPEN -> 2;
      })
      .description("The customer backend's circuit breaker: 0 closed, 1 half-open, 2 open").register(registry);
    Gauge.builder("ecb_cluster_nodes", engine, e -> e.nodes().size())
      .description("Nodes in the cluster as this node sees it, itself included").register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    // Collection counts and times straight from the collectors' MXBeans: unlike a pause timer fed
    // by GC notifications, these series exist before the first collection.
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      FunctionTimer.builder("jvm_gc_collection", gc, GarbageCollectorMXBean::getCollectionCount,
          GarbageCollectorMXBean::getCollectionTime, TimeUnit.MILLISECONDS)
        .tag("gc", gc.getName())
        .description("Garbage collections and the time spent in them, per collector").register(registry);
    }
  }


  /** Times webhook calls from here on. */
  @Override
  public Future<Void> start() {
    backend.observe(sample -> webhookTimer(sample.operation(), sample.outcome()).record(sample.nanos(), TimeUnit.NANOSECONDS));
    return Future.succeededFuture();
  }

  private Timer webhookTimer(String operation, String outcome) {
    return Timer.builder("ecb_webhook")
      .description("Webhook calls to the customer backend")
      .tag("operation", operation)
      .tag("outcome", outcome)
      .publishPercentileHistogram()
      .register(registry);
  }

  private void counter(String name, LongAdder adder, String description) {
    FunctionCounter.builder(name, adder, LongAdder::doubleValue).description(description).register(registry);
  }

  @Override
  public void mount(Router router) {
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
  }
}
