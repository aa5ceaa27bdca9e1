package io.ecb.auth;

import io.ecb.bridge.CloseReason;
import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SPEC section 8: failed token checks count against the connection and the client address
 * (limits.failedAuthPerSecond, 20 by default); past that, a socket is closed and a request gets
 * RATE_LIMITED, before any signature is checked. Measured by the node's count of signature
 * checks, while a client from another address (127.0.0.2) keeps getting correct answers.
 */
@Timeout(120)
class FailedTokenChecksTest extends NodeTestBase {

  private static final int FLOOD = 5_000;
  private static final int LIMIT = 20;

  private long signatureChecks() {
    return node.node.chat().tokens().signatureChecks.sum();
  }

  /** At most one second's budget up front plus the refill over the elapsed time, with a second of slack. */
  private static long allowed(long startNanos) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    return (long) Math.ceil(LIMIT * (seconds + 2));
  }

  // Each test floods from its own loopback address, so no test inherits another's spent budget.

  @Test
  void aFloodOfBadTokensOnOneConnectionIsCutOffBeforeTheirSignaturesAreChecked() {
    BridgeClient control = BridgeClient.connectFrom(vertx, node.port(), "127.0.0.2").await();
    BridgeClient attacker = BridgeClient.connectFrom(vertx, node.port(), "127.0.0.3").await();
    long before = signatureChecks();
    long start = System.nanoTime();

    String bad = backend.badlySignedUserToken("u1");
    List<Future<JsonObject>> replies = new ArrayList<>(FLOOD);
    for (int i = 0; i < FLOOD; i++) {
      replies.add(attacker.request("ecb.getContacts", new JsonObject().put("userToken", bad), new JsonObject()));
    }
    // Meanwhile, a client from another address gets its answers, each with a token never seen before.
    for (int i = 0; i < 10; i++) {
      JsonObject page = control.request("ecb.getContacts", new JsonObject().put("userToken", backend.freshUserToken("u2", i)), new JsonObject()).await();
      assertThat(page.getJsonArray("items")).isNotEmpty();
    }
    assertThatThrownBy(() -> control.request("ecb.getContacts", new JsonObject().put("userToken", bad), new JsonObject()).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("UNAUTHORIZED"));

    JsonObject closed = attacker.closed().await();
    assertThat(closed.getInteger("code")).isEqualTo(CloseReason.AUTH_FAILURES.code);
    long checks = signatureChecks() - before;
    // The control client's 11 checks are in the count too.
    assertThat(checks).isLessThanOrEqualTo(allowed(start) + 11);
    assertThat(checks).isGreaterThanOrEqualTo(LIMIT);

    // Every frame answered before the close was answered: first 401s, then RATE_LIMITED.
    List<String> codes = new ArrayList<>();
    for (Future<JsonObject> r : replies) {
      if (r.failed() && r.cause() instanceof BridgeClient.Failure f) codes.add(f.code());
    }
    assertThat(codes).contains("UNAUTHORIZED", "RATE_LIMITED").doesNotContain("INTERNAL");
    assertThat(codes.subList(0, LIMIT)).containsOnly("UNAUTHORIZED");
    assertThat(backend.count("getContacts")).isEqualTo(10);

    control.close().await();
  }

  @Test
  void badTokensSpreadOverManyConnectionsAreLimitedPerAddress() {
    BridgeClient control = BridgeClient.connectFrom(vertx, node.port(), "127.0.0.2").await();
    List<BridgeClient> attackers = new ArrayList<>();
    for (int i = 0; i < 20; i++) attackers.add(BridgeClient.connectFrom(vertx, node.port(), "127.0.0.4").await());
    long before = signatureChecks();
    long start = System.nanoTime();
    String bad = backend.badlySignedUserToken("u1");
    // Each connection stays under its own budget; together they are far over the address's.
    List<Future<JsonObject>> replies = new ArrayList<>();
    for (int round = 0; round < 15; round++) {
      for (BridgeClient a : attackers) {
        replies.add(a.request("ecb.getContacts", new JsonObject().put("userToken", bad), new JsonObject()));
      }
    }
    for (int i = 0; i < 5; i++) {
      JsonObject page = control.request("ecb.getContacts", new JsonObject().put("userToken", backend.freshUserToken("u4", i)), new JsonObject()).await();
      assertThat(page.getJsonArray("items")).isNotEmpty();
    }
    Future.join(new ArrayList<>(replies)).otherwiseEmpty().await();
    assertThat(signatureChecks() - before).isLessThanOrEqualTo(allowed(start) + 5);
    List<String> codes = replies.stream().map(r -> ((BridgeClient.Failure) r.cause()).code()).toList();
    assertThat(codes).containsOnly("UNAUTHORIZED", "RATE_LIMITED");
    assertThat(codes.stream().filter("RATE_LIMITED"::equals).count()).isGreaterThan(FLOOD / 100);
    attackers.forEach(BridgeClient::close);
    control.close().await();
  }

  @Test
  void aFloodOfBadBearerTokensGetsRateLimitedOverHttp() {
    WebClient attacker = WebClient.create(vertx, new WebClientOptions().setLocalAddress("127.0.0.5"));
    WebClient control = WebClient.create(vertx, new WebClientOptions().setLocalAddress("127.0.0.2"));
    long before = signatureChecks();
    long start = System.nanoTime();
    String bad = backend.badlySignedUserToken("u1");
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      sent.add(attacker.get(node.port(), "127.0.0.1", "/api/v1/contacts").putHeader("Authorization", "Bearer " + bad).send());
    }
    for (int i = 0; i < 100; i++) {
      sent.add(attacker.get(node.port(), "127.0.0.1", "/api/v1/events?user=true&access_token=" + bad).send());
    }
    for (int i = 0; i < 5; i++) {
      HttpResponse<Buffer> ok = control.get(node.port(), "127.0.0.1", "/api/v1/contacts")
        .putHeader("Authorization", "Bearer " + backend.freshUserToken("u2", 100 + i)).send().await();
      assertThat(ok.statusCode()).isEqualTo(200);
    }
    Future.join(new ArrayList<>(sent)).await();
    long checks = signatureChecks() - before;
    assertThat(checks).isLessThanOrEqualTo(allowed(start) + 5);

    List<Integer> statuses = sent.stream().map(f -> f.result().statusCode()).toList();
    assertThat(statuses).containsOnly(401, 429);
    assertThat(statuses.stream().filter(s -> s == 401).count()).isGreaterThanOrEqualTo(LIMIT);
    HttpResponse<Buffer> limited = sent.stream().map(Future::result).filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    assertThat(limited.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("RATE_LIMITED");
    // The SSE requests in the flood were answered the same way.
    assertThat(sent.subList(400, 500).stream().map(f -> f.result().statusCode())).contains(429);
    attacker.close();
    control.close();
  }
}
