package io.ecb.backend;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.config.EcbConfig;
import io.ecb.module.Module;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Calls the customer backend: {@code POST {backend.url}/{operation}} with a signed JSON body.
 *
 * <p>Outcomes: 2xx gives the JSON body; a 4xx passes through as the matching code with the
 * backend's {@code error.message}; 5xx and connection errors give BACKEND_ERROR; a timeout gives
 * BACKEND_TIMEOUT. Reads are retried once (they have no side effects); writes never are, since a
 * retry after a timeout could store a message twice. Only backend faults (5xx, timeouts, refused
 * connections) count towards the circuit breaker, which then answers UNAVAILABLE at once.
 */
public final class BackendClient implements Module {

  private static final Logger LOG = Logger.getLogger(BackendClient.class.getName());
  private static final Set<String> READS = Set.of("getContacts", "getThreads", "getThread");

  private final WebClient client;
  private final EcbConfig.Backend config;
  private final String baseUrl;
  private final CircuitBreaker breaker;
  private volatile Consumer<Sample> observer = s -> { };

  /** One finished webhook call, for metrics. */
  public record Sample(String operation, long nanos, String outcome) {
  }

  public BackendClient(Vertx vertx, EcbConfig.Backend config) {
    this.config = config;
    this.baseUrl = config.url.endsWith("/") ? config.url.substring(0, config.url.length() - 1) : config.url;
    this.client = WebClient.create(vertx, new WebClientOptions()
      .setKeepAlive(true)
      .setUserAgent("ECB-Webhook/1"), new PoolOptions().setHttp1MaxSize(64));
    this.breaker = CircuitBreaker.create("backend", vertx, new CircuitBreakerOptions()
        .setMaxFailures(config.circuitMaxFailures)
        .setResetTimeout(config.circuitResetMs)
        .setTimeout(-1)) // each call carries its own timeout
      .failurePolicy(f -> f.failed() && isBackendFault(f.cause()));
  }

  public void observe(Consumer<Sample> observer) {
    this.observer = observer;
  }

  public boolean circuitOpen() {
    return breaker.state() == CircuitBreakerState.OPEN;
  }

  /** The breaker's state: closed, open, or half-open once {@code resetMs} has passed since it opened. */
  public CircuitBreakerState circuitState() {
    return breaker.state();
  }

  /** Posts {@code body} to the operation's webhook; the future holds the parsed JSON reply. */
  public Future<Object> call(String operation, JsonObject body) {
    Future<Object> first = attempt(operation, body);
    if (!READS.contains(operation)) return first;
    return first.recover(e -> isBackendFault(e) ? attempt(operation, body) : Future.failedFuture(e));
  }

  private Future<Object> attempt(String operation, JsonObject body) {
    long start = System.nanoTime();
    Future<Object> result = breaker.<Object>execute(() -> post(operation, body))
      .recover(e -> Future.failedFuture(translate(operation, e)));
    return result.andThen(ar -> observer.accept(new Sample(operation, System.nanoTime() - start,
      ar.succeeded() ? "ok" : ((EcbException) ar.cause()).code.name())));
  }

  private Future<Object> post(String operation, JsonObject body) {
    Buffer payload = body.toBuffer();
    String timestamp = Long.toString(System.currentTimeMillis() / 1000);
    String requestId = requestId();
    return client.postAbs(baseUrl + "/" + operation)
      .timeout(config.timeoutMs(operation))
      .putHeader("Content-Type", "application/json")
      .putHeader(WebhookSignature.REQUEST_ID, requestId)
      .putHeader(WebhookSignature.TIMESTAMP, timestamp)
      .putHeader(WebhookSignature.HEADER, WebhookSignature.sign(config.webhookSecrets, timestamp, requestId, operation, payload.getBytes()))
      .sendBuffer(payload)
      .compose(resp -> interpret(operation, resp));
  }

  /**
   * A random (version 4) UUID for the request-id header. It only has to be unique, not secret
   * (the v2 signature binds it, so knowing one gains nothing), so it comes from ThreadLocalRandom
   * rather than UUID.randomUUID's SecureRandom, which takes a lock and reads the system's entropy
   * source for every webhook call. A retried read is a new request with a new id.
   */
  private static String requestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  private static Future<Object> interpret(String operation, HttpResponse<Buffer> resp) {
    int status = resp.statusCode();
    if (status >= 200 && status < 300) {
      try {
        Buffer b = resp.body();
        return Future.succeededFuture(b == null ? null : Json.decodeValue(b));
      } catch (DecodeException e) {
        return Future.failedFuture(new EcbException(ErrorCode.BACKEND_ERROR, operation + ": backend answered invalid JSON"));
      }
    }
    if (status >= 400 && status < 500) {
      return Future.failedFuture(new EcbException(ErrorCode.forClientStatus(status), backendMessage(resp, operation)));
    }
    return Future.failedFuture(new EcbException(ErrorCode.BACKEND_ERROR, operation + ": backend answered " + status));
  }

  private static String backendMessage(HttpResponse<Buffer> resp, String operation) {
    try {
      JsonObject body = resp.bodyAsJsonObject();
      JsonObject error = body == null ? null : body.getJsonObject("error");
      String message = error == null ? null : error.getString("message");
      if (message != null) return message;
    } catch (RuntimeException ignored) {
      // not JSON: fall through to a generic message
    }
    return operation + ": backend answered " + resp.statusCode();
  }

  private static Throwable translate(String operation, Throwable e) {
    if (e instanceof EcbException) return e;
    if (e instanceof OpenCircuitException) {
      return new EcbException(ErrorCode.UNAVAILABLE, "backend unavailable; try again shortly");
    }
    if (e instanceof TimeoutException) {
      return new EcbException(ErrorCode.BACKEND_TIMEOUT, operation + ": backend did not answer in time");
    }
    LOG.log(Level.FINE, "webhook " + operation + " failed", e);
    return new EcbException(ErrorCode.BACKEND_ERROR, operation + ": backend unreachable");
  }

  private static boolean isBackendFault(Throwable e) {
    if (e instanceof EcbException ee) {
      return ee.code == ErrorCode.BACKEND_ERROR || ee.code == ErrorCode.BACKEND_TIMEOUT;
    }
    return !(e instanceof OpenCircuitException);
  }

  @Override
  public Future<Void> stop() {
    breaker.close();
    client.close();
    return Future.succeededFuture();
  }
}
