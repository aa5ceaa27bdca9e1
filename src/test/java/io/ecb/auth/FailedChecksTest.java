package io.ecb.auth;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.support.TestKeys;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.JWTOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules of {@link FailedChecks} with a real {@link TokenVerifier}, at a rate so low (one
 * failure per 100 s) that nothing refills while a test runs: what is charged, to whom, and what
 * is never refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class FailedChecksTest {

  private Vertx vertx;
  private TestKeys keys;

  @BeforeAll
  void setUp() {
    vertx = Vertx.vertx();
    keys = TestKeys.rsa();
  }

  @AfterAll
  void tearDown() {
    vertx.close().await();
  }

  private TokenVerifier verifier() {
    JsonObject json = ConfigLoader.defaults();
    json.getJsonObject("auth").put("algorithm", "RS256").put("publicKey", keys.publicPem);
    return TokenVerifier.create(vertx, new EcbConfig(json).auth, new FailedChecks(0.01)).await();
  }

  private String good(String userId) {
    return keys.signer(vertx).generateToken(new JsonObject().put("userId", userId).put("nonce", System.nanoTime()),
      new JWTOptions().setAlgorithm("RS256").setExpiresInSeconds(600));
  }

  private String bad(String userId) {
    String t = good(userId);
    return t.substring(0, t.length() - 4) + (t.endsWith("AAAA") ? "BBBB" : "AAAA");
  }

  private static SocketAddress at(String host) {
    return SocketAddress.inetSocketAddress(40000, host);
  }

  private static ErrorCode code(Future<?> f) {
    AsyncResult<?> r = f.transform(ar -> Future.succeededFuture(ar)).await();
    if (r.succeeded()) return null;
    return ((EcbException) r.cause()).code;
  }

  @Test
  void aConnectionPastItsBudgetIsToldAndRefusedBeforeAnySignatureCheck() {
    TokenVerifier v = verifier();
    AtomicInteger closes = new AtomicInteger();
    Caller conn = Caller.connection(at("127.0.1.1"), closes::incrementAndGet);
    String known = good("u1");
    assertThat(code(v.verifyUser(Caller.request(at("127.0.9.9")), known))).isNull();

    assertThat(code(v.verifyUser(conn, bad("u1")))).isEqualTo(ErrorCode.UNAUTHORIZED);
    long checks = v.signatureChecks.sum();
    assertThat(code(v.verifyUser(conn, bad("u1")))).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(code(v.verifyThread(conn, bad("u1")))).isEqualTo(ErrorCode.RATE_LIMITED);
    // A token never seen is not checked either, even a good one...
    assertThat(code(v.verifyUser(conn, good("u2")))).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(v.signatureChecks.sum()).isEqualTo(checks);
    assertThat(closes.get()).as("told once").isEqualTo(1);
    // ...but one verified before costs nothing and is still accepted.
    assertThat(code(v.verifyUser(conn, known))).isNull();
    assertThat(v.failedChecks().refused.sum()).isEqualTo(3);
  }

  @Test
  void theAddressIsChargedAcrossConnectionsAndOtherAddressesAreNot() {
    TokenVerifier v = verifier();
    AtomicInteger closes = new AtomicInteger();
    assertThat(code(v.verifyUser(Caller.connection(at("127.0.2.1"), closes::incrementAndGet), bad("u1")))).isEqualTo(ErrorCode.UNAUTHORIZED);
    long checks = v.signatureChecks.sum();
    // A new connection (or a plain request) from the same address is refused unexamined.
    assertThat(code(v.verifyUser(Caller.connection(at("127.0.2.1"), closes::incrementAndGet), bad("u1")))).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(code(v.verifyUser(Caller.request(at("127.0.2.1")), good("u1")))).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(v.signatureChecks.sum()).isEqualTo(checks);
    // Refused for its address, not for itself: the new connection is not told to close.
    assertThat(closes.get()).isZero();
    // Another address has its own budget.
    assertThat(code(v.verifyUser(Caller.request(at("127.0.2.2")), good("u1")))).isNull();
    assertThat(code(v.verifyUser(Caller.request(at("127.0.2.2")), bad("u1")))).isEqualTo(ErrorCode.UNAUTHORIZED);
    // Tokens the backend hands back are never limited.
    assertThat(code(v.verifyUser(Caller.BACKEND, bad("u1")))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(code(v.verifyUser(Caller.BACKEND, bad("u1")))).isEqualTo(ErrorCode.UNAUTHORIZED);
  }

  @Test
  void successesAndMissingTokensAreNotCharged() {
    TokenVerifier v = verifier();
    Caller c = Caller.request(at("127.0.3.1"));
    for (int i = 0; i < 5; i++) {
      assertThat(code(v.verifyUser(c, good("u" + i)))).isNull();
      assertThat(code(v.verifyUser(c, null))).isEqualTo(ErrorCode.UNAUTHORIZED);
    }
    assertThat(code(v.verifyUser(c, bad("u1")))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(code(v.verifyUser(c, bad("u1")))).isEqualTo(ErrorCode.RATE_LIMITED);
  }

  @Test
  void ipv6ClientsAreCountedPerSlash64() {
    assertThat(Caller.addressKey(at("2001:db8:1:2:aaaa::1"))).isEqualTo(Caller.addressKey(at("2001:db8:1:2:bbbb::7")));
    assertThat(Caller.addressKey(at("2001:db8:1:2::1"))).isNotEqualTo(Caller.addressKey(at("2001:db8:1:3::1")));
    assertThat(Caller.addressKey(at("::ffff:10.0.0.1"))).isEqualTo("10.0.0.1");
    assertThat(Caller.addressKey(at("10.0.0.1"))).isEqualTo("10.0.0.1");

    TokenVerifier v = verifier();
    assertThat(code(v.verifyUser(Caller.request(at("2001:db8:1:2::1")), bad("u1")))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(code(v.verifyUser(Caller.request(at("2001:db8:1:2::2")), bad("u1")))).isEqualTo(ErrorCode.RATE_LIMITED);
  }
}
