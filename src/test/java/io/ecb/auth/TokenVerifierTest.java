package io.ecb.auth;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.support.TestKeys;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC section 2: userTokens and threadTokens are JWTs whose algorithm is pinned by config.
 * Every token is checked by a real {@link TokenVerifier} against real keys; malicious tokens are
 * crafted by hand so that only the property under test is wrong.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class TokenVerifierTest {

  /** Who presents the tokens: a client on loopback (the verifiers here have no limit on failures). */
  private static final Caller CLIENT = Caller.request(SocketAddress.inetSocketAddress(40000, "127.0.0.1"));
  private static final String HS_SECRET = "a-shared-secret-of-at-least-32-bytes!!";

  private Vertx vertx;
  private TestKeys rsa;
  private TestKeys otherRsa;
  private TestKeys ec;

  @BeforeAll
  void setUp() {
    vertx = Vertx.vertx();
    rsa = TestKeys.rsa();
    otherRsa = TestKeys.generate("RS256");
    ec = TestKeys.generate("ES256");
  }

  @AfterAll
  void tearDown() {
    if (vertx != null) vertx.close().await();
  }

  // ---------------------------------------------------------------- helpers

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  private TokenVerifier verifier(Consumer<JsonObject> auth) {
    JsonObject json = ConfigLoader.defaults();
    auth.accept(json.getJsonObject("auth"));
    return TokenVerifier.create(vertx, new EcbConfig(json).auth).await();
  }

  private AsyncResult<TokenVerifier> tryCreate(Consumer<JsonObject> auth) {
    JsonObject json = ConfigLoader.defaults();
    auth.accept(json.getJsonObject("auth"));
    return settle(TokenVerifier.create(vertx, new EcbConfig(json).auth));
  }

  private TokenVerifier rs256() {
    return verifier(a -> a.put("algorithm", "RS256").put("publicKey", rsa.publicPem));
  }

  private static <T> AsyncResult<T> settle(Future<T> f) {
    return f.transform(ar -> Future.succeededFuture(ar)).await();
  }

  private static void assertRefused(Future<?> f) {
    AsyncResult<?> r = settle(f);
    assertThat(r.succeeded()).as("token should have been refused, got %s", r.result()).isFalse();
    assertThat(r.cause()).isInstanceOfSatisfying(EcbException.class,
      e -> assertThat(e.code).isEqualTo(ErrorCode.UNAUTHORIZED));
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String b64(JsonObject json) {
    return b64(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static JsonObject header(String alg) {
    return new JsonObject().put("alg", alg).put("typ", "JWT");
  }

  private static String signingInput(JsonObject header, JsonObject claims) {
    return b64(header) + "." + b64(claims);
  }

  /** A JWS signed with java.security.Signature (RSA: SHAxxxwithRSA). */
  private static String signJava(JsonObject header, JsonObject claims, String javaAlg, PrivateKey key) {
    try {
      String input = signingInput(header, claims);
      Signature s = Signature.getInstance(javaAlg);
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String rs256(TestKeys keys, JsonObject claims) {
    return signJava(header("RS256"), claims, "SHA256withRSA", keys.pair.getPrivate());
  }

  private String rs256(JsonObject claims) {
    return rs256(rsa, claims);
  }

  private static String hmac(JsonObject header, JsonObject claims, byte[] secret) {
    try {
      String input = signingInput(header, claims);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject userClaims(String userId) {
    return new JsonObject().put("userId", userId).put("displayName", "User " + userId)
      .put("exp", now() + 3600).put("iat", now());
  }

  private static JsonObject threadClaims(String threadId, String... members) {
    return new JsonObject().put("threadId", threadId).put("memberIds", new JsonArray(Arrays.asList(members)))
      .put("exp", now() + 3600).put("iat", now());
  }

  private static String[] parts(String token) {
    return token.split("\\.", -1);
  }

  private static JsonObject rsaJwk(RSAPublicKey key, String kid) {
    return new JsonObject().put("kty", "RSA").put("kid", kid).put("alg", "RS256").put("use", "sig")
      .put("n", b64(unsigned(key.getModulus()))).put("e", b64(unsigned(key.getPublicExponent())));
  }

  private static byte[] unsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  // ---------------------------------------------------------------- valid tokens

  @Test
  void validUserTokenGivesTheUser() {
    JsonObject data = new JsonObject().put("role", "agent").put("tier", 3);
    String token = rs256(userClaims("u1").put("data", data).put("channels", new JsonArray().add("news").add("ops")));
    ChatUser user = rs256().verifyUser(CLIENT, token).await();
    assertThat(user.userId()).isEqualTo("u1");
    assertThat(user.displayName()).isEqualTo("User u1");
    assertThat(user.data()).isEqualTo(data);
    assertThat(user.channels()).containsExactly("news", "ops");
  }

  @Test
  void userTokenSignedByTheVertxSignerIsAccepted() {
    String token = rsa.sign(vertx, new JsonObject().put("userId", "u2").put("displayName", "Two"), 600);
    ChatUser user = rs256().verifyUser(CLIENT, token).await();
    assertThat(user.userId()).isEqualTo("u2");
    assertThat(user.displayName()).isEqualTo("Two");
    assertThat(user.channels()).isEmpty();
  }

  @Test
  void userIdComesFromSubWhenThereIsNoUserIdClaim() {
    String token = rs256(new JsonObject().put("sub", "u7").put("displayName", "Seven").put("exp", now() + 600));
    ChatUser user = rs256().verifyUser(CLIENT, token).await();
    assertThat(user.userId()).isEqualTo("u7");
    assertThat(user.displayName()).isEqualTo("Seven");
  }

  @Test
  void userTokenWithoutUserIdOrSubIsRefused() {
    assertRefused(rs256().verifyUser(CLIENT, rs256(new JsonObject().put("displayName", "Nobody").put("exp", now() + 600))));
  }

  @Test
  void validThreadTokenGivesTheThreadAndItsMembers() {
    ThreadGrant grant = rs256().verifyThread(CLIENT, rs256(threadClaims("t1", "u1", "u2", "u3"))).await();
    assertThat(grant.threadId()).isEqualTo("t1");
    assertThat(grant.memberIds()).containsExactly("u1", "u2", "u3");
    assertThat(grant.isMember("u2")).isTrue();
    assertThat(grant.isMember("u4")).isFalse();
  }

  @Test
  void threadTokenWithoutMemberIdsIsRefused() {
    assertRefused(rs256().verifyThread(CLIENT, rs256(new JsonObject().put("threadId", "t1").put("exp", now() + 600))));
  }

  @Test
  void missingOrGarbageTokensAreRefused() {
    TokenVerifier v = rs256();
    assertRefused(v.verifyUser(CLIENT, null));
    assertRefused(v.verifyUser(CLIENT, ""));
    assertRefused(v.verifyUser(CLIENT, "not-a-jwt"));
    assertRefused(v.verifyUser(CLIENT, "a.b.c"));
    assertRefused(v.verifyThread(CLIENT, null));
  }

  // ---------------------------------------------------------------- tampering

  @Test
  void tamperedPayloadIsRefused() {
    TokenVerifier v = rs256();
    String token = rs256(userClaims("u1"));
    assertThat(v.verifyUser(CLIENT, token).await().userId()).isEqualTo("u1");
    String[] p = parts(token);
    String forged = p[0] + "." + b64(userClaims("admin")) + "." + p[2];
    assertRefused(v.verifyUser(CLIENT, forged));

    String thread = rs256(threadClaims("t1", "u1", "u2"));
    String[] t = parts(thread);
    assertRefused(v.verifyThread(CLIENT, t[0] + "." + b64(threadClaims("t1", "u1", "u2", "intruder")) + "." + t[2]));
  }

  @Test
  void tamperedSignatureIsRefused() {
    TokenVerifier v = rs256();
    String token = rs256(userClaims("u1"));
    String[] p = parts(token);
    byte[] sig = Base64.getUrlDecoder().decode(p[2]);
    sig[sig.length / 2] ^= 0x01;
    assertRefused(v.verifyUser(CLIENT, p[0] + "." + p[1] + "." + b64(sig)));
    // and with the signature stripped altogether
    assertRefused(v.verifyUser(CLIENT, p[0] + "." + p[1] + "."));
    assertRefused(v.verifyUser(CLIENT, p[0] + "." + p[1]));
  }

  @Test
  void tokenSignedWithAnotherRsaKeyIsRefused() {
    assertRefused(rs256().verifyUser(CLIENT, rs256(otherRsa, userClaims("u1"))));
    assertRefused(rs256().verifyThread(CLIENT, rs256(otherRsa, threadClaims("t1", "u1"))));
  }

  // ---------------------------------------------------------------- time claims

  @Test
  void expiredBeyondTheSkewIsRefused() {
    assertRefused(rs256().verifyUser(CLIENT, rs256(userClaims("u1").put("iat", now() - 600).put("exp", now() - 60))));
    assertRefused(rs256().verifyThread(CLIENT, rs256(threadClaims("t1", "u1").put("iat", now() - 600).put("exp", now() - 60))));
  }

  @Test
  void expiredTenSecondsAgoIsAcceptedThanksToTheSkew() {
    ChatUser user = rs256().verifyUser(CLIENT, rs256(userClaims("u1").put("iat", now() - 600).put("exp", now() - 10))).await();
    assertThat(user.userId()).isEqualTo("u1");
  }

  @Test
  void aRememberedTokenIsStillRefusedOnceItExpires() {
    TokenVerifier v = verifier(a -> a.put("algorithm", "RS256").put("publicKey", rsa.publicPem).put("leewaySeconds", 0));
    long exp = now() + 2;
    String token = rs256(userClaims("u1").put("exp", exp));
    assertThat(v.verifyUser(CLIENT, token).await().userId()).isEqualTo("u1");
    assertThat(v.verifyUser(CLIENT, token).await().userId()).as("the second check is answered from memory").isEqualTo("u1");
    // exp is in whole seconds and valid through its own second: wait until the one after it.
    Promise<Void> expired = Promise.promise();
    vertx.setTimer(Math.max(1, (exp + 1) * 1000 + 100 - System.currentTimeMillis()), id -> expired.complete());
    expired.future().await();
    assertRefused(v.verifyUser(CLIENT, token));
  }

  @Test
  void tokensAreCheckedEveryTimeWhenNothingIsRemembered() {
    TokenVerifier v = verifier(a -> a.put("algorithm", "RS256").put("publicKey", rsa.publicPem).put("verifiedTokenCacheSize", 0));
    String token = rs256(userClaims("u1"));
    assertThat(v.verifyUser(CLIENT, token).await().userId()).isEqualTo("u1");
    assertThat(v.verifyUser(CLIENT, token).await().userId()).isEqualTo("u1");
    assertRefused(v.verifyUser(CLIENT, rs256(otherRsa, userClaims("u1"))));
  }

  @Test
  void missingExpIsRefused() {
    assertRefused(rs256().verifyUser(CLIENT, rs256(new JsonObject().put("userId", "u1").put("displayName", "x").put("iat", now()))));
    assertRefused(rs256().verifyThread(CLIENT, rs256(new JsonObject().put("threadId", "t1").put("memberIds", new JsonArray().add("u1")))));
  }

  @Test
  void nonNumericExpIsRefused() {
    assertRefused(rs256().verifyUser(CLIENT, rs256(userClaims("u1").put("exp", "tomorrow"))));
  }

  @Test
  void nbfFiveMinutesInTheFutureIsRefused() {
    assertRefused(rs256().verifyUser(CLIENT, rs256(userClaims("u1").put("nbf", now() + 300))));
  }

  @Test
  void nbfWithinTheSkewIsAccepted() {
    assertThat(rs256().verifyUser(CLIENT, rs256(userClaims("u1").put("nbf", now() + 10))).await().userId()).isEqualTo("u1");
  }

  // ---------------------------------------------------------------- algorithm pinning

  @Test
  void unsignedAlgNoneTokenIsRefused() {
    TokenVerifier v = rs256();
    String input = signingInput(new JsonObject().put("alg", "none").put("typ", "JWT"), userClaims("u1"));
    assertRefused(v.verifyUser(CLIENT, input + "."));
    assertRefused(v.verifyUser(CLIENT, input));
    // case variants some libraries accept
    assertRefused(v.verifyUser(CLIENT, signingInput(new JsonObject().put("alg", "None"), userClaims("u1")) + "."));
    assertRefused(v.verifyUser(CLIENT, signingInput(new JsonObject().put("alg", "NONE"), userClaims("u1")) + "."));
    // and a header without alg at all
    assertRefused(v.verifyUser(CLIENT, signingInput(new JsonObject().put("typ", "JWT"), userClaims("u1")) + "."));
  }

  @Test
  void rs384TokenIsRefusedWhenRs256IsConfigured() {
    String token = signJava(header("RS384"), userClaims("u1"), "SHA384withRSA", rsa.pair.getPrivate());
    assertRefused(rs256().verifyUser(CLIENT, token));
    // the same key and claims under RS256 pass, so only the algorithm is wrong above
    assertThat(rs256().verifyUser(CLIENT, rs256(userClaims("u1"))).await().userId()).isEqualTo("u1");
  }

  @Test
  void es256TokenIsRefusedWhenRs256IsConfigured() {
    assertRefused(rs256().verifyUser(CLIENT, ec.sign(vertx, new JsonObject().put("userId", "u1"), 600)));
  }

  @Test
  void hs256TokenKeyedWithTheRsaPublicKeyPemIsRefused() {
    TokenVerifier v = rs256();
    byte[] pem = rsa.publicPem.getBytes(StandardCharsets.UTF_8);
    assertRefused(v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("admin"), pem)));
    assertRefused(v.verifyThread(CLIENT, hmac(header("HS256"), threadClaims("t1", "attacker"), pem)));
    // variants of the same key text: without the trailing newline, and the bare DER
    assertRefused(v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("admin"), rsa.publicPem.trim().getBytes(StandardCharsets.UTF_8))));
    assertRefused(v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("admin"), rsa.pair.getPublic().getEncoded())));
  }

  @Test
  void headerClaimingRs256ButCarryingAnHmacIsRefused() {
    byte[] pem = rsa.publicPem.getBytes(StandardCharsets.UTF_8);
    assertRefused(rs256().verifyUser(CLIENT, hmac(header("RS256"), userClaims("admin"), pem)));
  }

  // ---------------------------------------------------------------- iss / aud

  private TokenVerifier withIssuerAndAudience() {
    return verifier(a -> a.put("algorithm", "RS256").put("publicKey", rsa.publicPem)
      .put("issuer", "https://backend.example.com").put("audience", "ecb"));
  }

  @Test
  void rightIssuerAndAudienceAreAccepted() {
    TokenVerifier v = withIssuerAndAudience();
    ChatUser user = v.verifyUser(CLIENT, rs256(userClaims("u1").put("iss", "https://backend.example.com").put("aud", "ecb"))).await();
    assertThat(user.userId()).isEqualTo("u1");
    // aud as an array that contains the configured audience
    ThreadGrant grant = v.verifyThread(CLIENT, rs256(threadClaims("t1", "u1").put("iss", "https://backend.example.com")
      .put("aud", new JsonArray().add("other").add("ecb")))).await();
    assertThat(grant.threadId()).isEqualTo("t1");
  }

  @Test
  void wrongIssuerIsRefused() {
    assertRefused(withIssuerAndAudience().verifyUser(CLIENT, rs256(userClaims("u1").put("iss", "https://evil.example.com").put("aud", "ecb"))));
  }

  @Test
  void missingIssuerIsRefused() {
    assertRefused(withIssuerAndAudience().verifyUser(CLIENT, rs256(userClaims("u1").put("aud", "ecb"))));
  }

  @Test
  void wrongAudienceIsRefused() {
    TokenVerifier v = withIssuerAndAudience();
    assertRefused(v.verifyUser(CLIENT, rs256(userClaims("u1").put("iss", "https://backend.example.com").put("aud", "someone-else"))));
    assertRefused(v.verifyUser(CLIENT, rs256(userClaims("u1").put("iss", "https://backend.example.com").put("aud", new JsonArray().add("x").add("y")))));
  }

  @Test
  void missingAudienceIsRefused() {
    assertRefused(withIssuerAndAudience().verifyUser(CLIENT, rs256(userClaims("u1").put("iss", "https://backend.example.com"))));
  }

  @Test
  void issAndAudAreIgnoredWhenNotConfigured() {
    assertThat(rs256().verifyUser(CLIENT, rs256(userClaims("u1").put("iss", "anyone").put("aud", "anything"))).await().userId())
      .isEqualTo("u1");
  }

  // ---------------------------------------------------------------- ES256

  @Test
  void es256ConfiguredAcceptsEs256TokensAndRefusesRs256Ones() {
    TokenVerifier v = verifier(a -> a.put("algorithm", "ES256").put("publicKey", ec.publicPem));
    ChatUser user = v.verifyUser(CLIENT, ec.sign(vertx, new JsonObject().put("userId", "u1").put("displayName", "One")
      .put("channels", new JsonArray().add("c1")), 600)).await();
    assertThat(user.userId()).isEqualTo("u1");
    assertThat(user.channels()).containsExactly("c1");
    ThreadGrant grant = v.verifyThread(CLIENT, ec.sign(vertx, new JsonObject().put("threadId", "t9")
      .put("memberIds", new JsonArray().add("u1").add("u2")), 600)).await();
    assertThat(grant.memberIds()).containsExactly("u1", "u2");

    assertRefused(v.verifyUser(CLIENT, rs256(userClaims("u1"))));
    // signed with another EC key
    assertRefused(v.verifyUser(CLIENT, TestKeys.generate("ES256").sign(vertx, new JsonObject().put("userId", "u1"), 600)));
    // HS256 keyed with the EC public key PEM
    assertRefused(v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("u1"), ec.publicPem.getBytes(StandardCharsets.UTF_8))));
  }

  // ---------------------------------------------------------------- JWKS

  @Test
  void jwksUrlKeysVerifyTokensByKid() {
    JsonObject jwks = new JsonObject().put("keys", new JsonArray().add(rsaJwk((RSAPublicKey) rsa.pair.getPublic(), "key-1")));
    HttpServer server = vertx.createHttpServer()
      .requestHandler(req -> {
        if (req.path().equals("/.well-known/jwks.json")) {
          req.response().putHeader("Content-Type", "application/json").end(jwks.encode());
        } else {
          req.response().setStatusCode(404).end();
        }
      })
      .listen(0, "127.0.0.1").await();
    try {
      TokenVerifier v = verifier(a -> a.put("algorithm", "RS256")
        .put("jwksUrl", "http://127.0.0.1:" + server.actualPort() + "/.well-known/jwks.json"));
      JsonObject kidHeader = header("RS256").put("kid", "key-1");

      ChatUser user = v.verifyUser(CLIENT, signJava(kidHeader, userClaims("u1"), "SHA256withRSA", rsa.pair.getPrivate())).await();
      assertThat(user.userId()).isEqualTo("u1");
      ThreadGrant grant = v.verifyThread(CLIENT, signJava(kidHeader, threadClaims("t1", "u1", "u2"), "SHA256withRSA", rsa.pair.getPrivate())).await();
      assertThat(grant.memberIds()).containsExactly("u1", "u2");

      // another key, claiming the published kid
      assertRefused(v.verifyUser(CLIENT, signJava(kidHeader, userClaims("u1"), "SHA256withRSA", otherRsa.pair.getPrivate())));
      // another key under a kid that is not published
      assertRefused(v.verifyUser(CLIENT, signJava(header("RS256").put("kid", "key-2"), userClaims("u1"), "SHA256withRSA", otherRsa.pair.getPrivate())));
      // the pin still holds with JWKS
      assertRefused(v.verifyUser(CLIENT, signingInput(new JsonObject().put("alg", "none").put("kid", "key-1"), userClaims("u1")) + "."));
      assertRefused(v.verifyUser(CLIENT, signJava(header("RS384").put("kid", "key-1"), userClaims("u1"), "SHA384withRSA", rsa.pair.getPrivate())));
      // expired token from the right key
      assertRefused(v.verifyUser(CLIENT, signJava(kidHeader, userClaims("u1").put("iat", now() - 600).put("exp", now() - 120),
        "SHA256withRSA", rsa.pair.getPrivate())));
    } finally {
      server.close().await();
    }
  }

  @Test
  void createFailsWhenTheJwksUrlCannotBeFetched() {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response().setStatusCode(500).end())
      .listen(0, "127.0.0.1").await();
    try {
      AsyncResult<TokenVerifier> r = tryCreate(a -> a.put("algorithm", "RS256")
        .put("jwksUrl", "http://127.0.0.1:" + server.actualPort() + "/jwks"));
      assertThat(r.failed()).isTrue();
    } finally {
      server.close().await();
    }
  }

  // ---------------------------------------------------------------- HS256

  @Test
  void hs256WorksWhenConfiguredExplicitly() {
    TokenVerifier v = verifier(a -> a.put("algorithm", "HS256").put("secret", HS_SECRET));
    byte[] secret = HS_SECRET.getBytes(StandardCharsets.UTF_8);
    ChatUser user = v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("u1"), secret)).await();
    assertThat(user.userId()).isEqualTo("u1");
    ThreadGrant grant = v.verifyThread(CLIENT, hmac(header("HS256"), threadClaims("t1", "u1", "u2"), secret)).await();
    assertThat(grant.threadId()).isEqualTo("t1");

    assertRefused(v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("u1"), "another-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8))));
    assertRefused(v.verifyUser(CLIENT, rs256(userClaims("u1"))));
    assertRefused(v.verifyUser(CLIENT, signingInput(new JsonObject().put("alg", "none"), userClaims("u1")) + "."));
    assertRefused(v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("u1").put("iat", now() - 600).put("exp", now() - 60), secret)));
  }

  @Test
  void hs256IsNotAcceptedByTheDefaultConfigEvenWithASecretSet() {
    // The default algorithm is RS256: a secret alone does not switch HS256 on.
    TokenVerifier v = verifier(a -> a.put("publicKey", rsa.publicPem).put("secret", HS_SECRET));
    assertRefused(v.verifyUser(CLIENT, hmac(header("HS256"), userClaims("u1"), HS_SECRET.getBytes(StandardCharsets.UTF_8))));
    assertThat(v.verifyUser(CLIENT, rs256(userClaims("u1"))).await().userId()).isEqualTo("u1");
  }

  // ---------------------------------------------------------------- create() validation

  @Test
  void createFailsForHs256WithoutASecret() {
    assertThat(tryCreate(a -> a.put("algorithm", "HS256")).failed()).isTrue();
    assertThat(tryCreate(a -> a.put("algorithm", "HS256").put("secret", "")).failed()).isTrue();
    assertThat(tryCreate(a -> a.put("algorithm", "HS256").put("publicKey", rsa.publicPem)).failed()).isTrue();
  }

  @Test
  void createFailsForRs256WithoutPublicKeyOrJwksUrl() {
    assertThat(tryCreate(a -> { }).failed()).isTrue();
    assertThat(tryCreate(a -> a.put("algorithm", "RS256").put("publicKey", "").put("jwksUrl", "")).failed()).isTrue();
    assertThat(tryCreate(a -> a.put("algorithm", "ES256")).failed()).isTrue();
  }

  @Test
  void createFailsForAlgNone() {
    assertThat(tryCreate(a -> a.put("algorithm", "none").put("publicKey", rsa.publicPem)).failed()).isTrue();
  }
}
