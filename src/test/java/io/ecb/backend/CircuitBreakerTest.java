package io.ecb.backend;

import io.ecb.backend.WebhookTest.Client;
import io.ecb.backend.WebhookTest.Outcome;
import io.ecb.backend.WebhookTest.Via;
import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend.Reply;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.ecb.backend.WebhookTest.OPERATIONS;
import static io.ecb.backend.WebhookTest.assertBackendFault;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The circuit breaker in front of the customer backend (SPEC section 5), seen from clients: after
 * {@code maxFailures} backend faults requests fail fast with UNAVAILABLE without reaching the
 * backend, and after {@code resetMs} one success closes it again.
 */
@Timeout(60)
class CircuitBreakerTest extends NodeTestBase {

  static final int MAX_FAILURES = 3;
  static final long RESET_MS = 700;
  /** What "fast" means here: far below the webhook timeout. */
  static final long FAST_MS = 300;

  Client client;

  @Override
  protected void configure(JsonObject config) {
    WebhookTest.tune(config);
    config.getJsonObject("backend").put("circuitBreaker", new JsonObject().put("maxFailures", MAX_FAILURES).put("resetMs", RESET_MS));
  }

  @BeforeAll
  void startClient() {
    client = new Client(vertx, backend, node.port());
  }

  @AfterAll
  void stopClient() {
    if (client != null) client.close();
  }

  /**
   * Every test starts with a closed breaker and no failures counted: faults left over by an earlier
   * test are cleared by opening it and closing it with a success after the reset time.
   */
  @BeforeEach
  void freshBreaker() {
    backend.addThread(WebhookTest.THREAD, "u1", "u2");
    backend.on("createThread", req -> Future.succeededFuture(Reply.error(500, "down")));
    for (int i = 0; i <= MAX_FAILURES && !"UNAVAILABLE".equals(client.call(Via.HTTP, "createThread").code()); i++) {
      // trip it
    }
    backend.reset();
    awaitHalfOpen();
    assertThat(client.call(Via.HTTP, "getContacts").ok()).as("breaker closes after the reset time").isTrue();
    assertThat(node.node.backend().circuitState()).isEqualTo(CircuitBreakerState.CLOSED);
    backend.reset();
  }

  /** Waits until the open breaker lets a trial request through: its reset timer, {@code RESET_MS} after it opened, has fired. */
  private void awaitHalfOpen() {
    assertThat(node.node.backend().circuitState()).as("the breaker is open").isNotEqualTo(CircuitBreakerState.CLOSED);
    Promise<Void> halfOpen = Promise.promise();
    vertx.setPeriodic(1, 10, id -> {
      if (node.node.backend().circuitState() == CircuitBreakerState.HALF_OPEN) {
        vertx.cancelTimer(id);
        halfOpen.tryComplete();
      }
    });
    try {
      halfOpen.future().await(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the breaker did not turn half-open within 10 s", e);
    }
  }

  /** Opens the breaker with {@code MAX_FAILURES} failing createThread calls, which are never retried. */
  private void trip() {
    backend.on("createThread", req -> Future.succeededFuture(Reply.error(500, "down")));
    for (int i = 0; i < MAX_FAILURES; i++) {
      assertBackendFault(client.call(i % 2 == 0 ? Via.BRIDGE : Via.HTTP, "createThread"), 502, "BACKEND_ERROR");
    }
    assertThat(backend.count("createThread")).isEqualTo(MAX_FAILURES);
  }

  private static void assertUnavailableFast(Outcome o) {
    assertThat(o.status()).as(o.operation() + " " + o).isEqualTo(503);
    assertThat(o.code()).as(o.operation()).isEqualTo("UNAVAILABLE");
    assertThat(o.error().fieldNames()).containsExactlyInAnyOrder("code", "message");
    assertThat(o.elapsedMs()).as(o.operation() + " fails fast").isLessThan(FAST_MS);
  }

  @Test
  void afterMaxFailuresEveryOperationFailsFastWithUnavailableWithoutReachingTheBackend() {
    trip();
    backend.reset(); // the default model would answer every operation successfully
    for (Via via : Via.values()) {
      for (String op : OPERATIONS) {
        assertUnavailableFast(client.call(via, op));
      }
    }
    assertThat(backend.calls).as("no request reached the backend while the breaker was open").isEmpty();
  }

  @Test
  void timeoutsAreBackendFaultsToo() {
    backend.on("createThread", req -> Future.succeededFuture(null)); // never answers
    for (int i = 0; i < MAX_FAILURES; i++) {
      assertBackendFault(client.call(Via.HTTP, "createThread"), 504, "BACKEND_TIMEOUT");
    }
    assertThat(backend.count("createThread")).isEqualTo(MAX_FAILURES);
    assertUnavailableFast(client.call(Via.BRIDGE, "createThread"));
    assertUnavailableFast(client.call(Via.HTTP, "getThreads"));
    assertThat(backend.calls).hasSize(MAX_FAILURES);
  }

  @Test
  void oneFaultShortOfMaxFailuresKeepsItClosed() {
    backend.on("createThread", req -> Future.succeededFuture(Reply.error(500, "down")));
    for (int i = 0; i < MAX_FAILURES - 1; i++) {
      assertBackendFault(client.call(Via.HTTP, "createThread"), 502, "BACKEND_ERROR");
    }
    backend.reset();
    Outcome o = client.call(Via.BRIDGE, "getContacts");
    assertThat(o.ok()).as(o.toString()).isTrue();
    assertThat(backend.count("getContacts")).isEqualTo(1);
  }

  @Test
  void afterResetMsASuccessClosesItAgain() {
    trip();
    backend.reset();
    assertUnavailableFast(client.call(Via.HTTP, "getContacts"));
    awaitHalfOpen();

    // half-open: the trial request reaches the backend and succeeds, which closes the breaker
    Outcome trial = client.call(Via.BRIDGE, "getThreads");
    assertThat(trial.ok()).as(trial.toString()).isTrue();
    assertThat(backend.count("getThreads")).isEqualTo(1);

    // closed, with the old failures forgotten: MAX_FAILURES - 1 new faults reach the backend...
    backend.on("createThread", req -> Future.succeededFuture(Reply.error(500, "down again")));
    for (int i = 0; i < MAX_FAILURES - 1; i++) {
      assertBackendFault(client.call(Via.HTTP, "createThread"), 502, "BACKEND_ERROR");
    }
    assertThat(backend.count("createThread")).isEqualTo(MAX_FAILURES - 1);
    // ...and it is still closed
    backend.reset();
    for (Via via : Via.values()) {
      for (String op : OPERATIONS) {
        Outcome o = client.call(via, op);
        assertThat(o.ok()).as(via + " " + op + " " + o).isTrue();
      }
    }
    assertThat(backend.calls).hasSize(2 * OPERATIONS.size());
  }

  @Test
  void aFaultOfTheTrialRequestOpensItAgainAtOnce() {
    trip();
    awaitHalfOpen();
    backend.reset();
    backend.on("getUserToken", req -> Future.succeededFuture(Reply.error(500, "still down")));
    assertBackendFault(client.call(Via.HTTP, "getUserToken"), 502, "BACKEND_ERROR");
    assertThat(backend.count("getUserToken")).isEqualTo(1);
    backend.reset();
    assertUnavailableFast(client.call(Via.BRIDGE, "getContacts"));
    assertUnavailableFast(client.call(Via.HTTP, "getUserToken"));
    assertThat(backend.calls).isEmpty();
  }

  @Test
  void clientErrorsOfTheBackendDoNotOpenIt() {
    int[] statuses = {400, 403, 404, 409};
    int sent = 0;
    for (String op : OPERATIONS) {
      for (int status : statuses) {
        backend.reset();
        backend.on(op, req -> Future.succeededFuture(Reply.error(status, "no: " + status)));
        for (int i = 0; i < MAX_FAILURES; i++) {
          Outcome o = client.call(i % 2 == 0 ? Via.HTTP : Via.BRIDGE, op);
          assertThat(o.status()).as(op + " " + o).isEqualTo(status);
          assertThat(o.error().getString("message")).isEqualTo("no: " + status);
          sent++;
        }
        assertThat(backend.count(op)).as(op + " " + status + " reached the backend each time").isEqualTo(MAX_FAILURES);
      }
    }
    assertThat(sent).isGreaterThan(MAX_FAILURES * 10);
    backend.reset();
    Outcome o = client.call(Via.HTTP, "getThread");
    assertThat(o.ok()).as(o.toString()).isTrue();
    assertThat(backend.count("getThread")).isEqualTo(1);
  }
}
