package io.ecb.auth;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.support.TestKeys;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC section 2: a userToken is not accepted from a token minted for something else. A token
 * says what it is with {@code typ} (claim, or the JWT header as RFC 8725 suggests); untyped tokens
 * are taken for what their claims make them, as before, so existing backends keep working.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class TokenTypesTest {

  private static final Caller CLIENT = Caller.request(SocketAddress.inetSocketAddress(40000, "127.0.0.1"));

  private Vertx vertx;
  private TokenVerifier verifier;

  @BeforeAll
  void setUp() {
    vertx = Vertx.vertx();
    JsonObject json = ConfigLoader.defaults();
    json.getJsonObject("auth").put("algorithm", "RS256").put("publicKey", TestKeys.rsa().publicPem);
    verifier = TokenVerifier.create(vertx, new EcbConfig(json).auth).await();
  }

  @AfterAll
  void tearDown() {
    vertx.close().await();
  }

  private static String b64(JsonObject json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** An RS256 token, correctly signed, with exactly this header typ (null: none) and these claims. */
  private static String token(String headerTyp, JsonObject claims) {
    JsonObject header = new JsonObject().put("alg", "RS256");
    if (headerTyp != null) header.put("typ", headerTyp);
    claims.put("exp", System.currentTimeMillis() / 1000 + 600).put("nonce", System.nanoTime());
    String input = b64(header) + "." + b64(claims);
    try {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(TestKeys.rsa().pair.getPrivate());
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject user(String typ) {
    JsonObject c = new JsonObject().put("sub", "u1").put("displayName", "User 1");
    if (typ != null) c.put("typ", typ);
    return c;
  }

  private static JsonObject thread(String typ) {
    JsonObject c = new JsonObject().put("threadId", "t1").put("memberIds", new JsonArray().add("u1"));
    if (typ != null) c.put("typ", typ);
    return c;
  }

  private static ErrorCode refusal(Future<?> f) {
    AsyncResult<?> r = f.transform(ar -> Future.succeededFuture(ar)).await();
    return r.succeeded() ? null : ((EcbException) r.cause()).code;
  }

  @Test
  void untypedAndUserTypedTokensAreUserTokens() {
    assertThat(refusal(verifier.verifyUser(CLIENT, token(null, user(null))))).isNull();
    assertThat(refusal(verifier.verifyUser(CLIENT, token("JWT", user(null))))).isNull();
    assertThat(refusal(verifier.verifyUser(CLIENT, token("JWT", user("userToken"))))).isNull();
    assertThat(refusal(verifier.verifyUser(CLIENT, token(null, user("usertoken"))))).isNull();
    // An identity provider's access token (Keycloak's typ claim, RFC 9068's header) is a userToken too.
    assertThat(refusal(verifier.verifyUser(CLIENT, token(null, user("Bearer"))))).isNull();
    assertThat(refusal(verifier.verifyUser(CLIENT, token("at+jwt", user(null))))).isNull();
    assertThat(refusal(verifier.verifyUser(CLIENT, token("application/at+JWT", user(null))))).isNull();
    // Claims are read as before: a numeric userId is that number's text.
    assertThat(verifier.verifyUser(CLIENT, token(null, new JsonObject().put("userId", 42))).await().userId()).isEqualTo("42");
  }

  @Test
  void tokensMintedForSomethingElseAreNotUserTokens() {
    // A threadToken that happens to carry sub, typed or not.
    assertThat(refusal(verifier.verifyUser(CLIENT, token(null, thread(null).put("sub", "u1"))))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(refusal(verifier.verifyUser(CLIENT, token(null, user(null).put("threadId", "t1"))))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(refusal(verifier.verifyUser(CLIENT, token(null, user("threadToken"))))).isEqualTo(ErrorCode.UNAUTHORIZED);
    // An accessToken, an ID token, a refresh token of the same issuer, by claim or by header.
    for (String typ : new String[]{"accessToken", "access", "ID", "Refresh"}) {
      assertThat(refusal(verifier.verifyUser(CLIENT, token(null, user(typ))))).as(typ).isEqualTo(ErrorCode.UNAUTHORIZED);
      assertThat(refusal(verifier.verifyUser(CLIENT, token(typ, user(null))))).as(typ).isEqualTo(ErrorCode.UNAUTHORIZED);
    }
    // Header and claim must both allow it.
    assertThat(refusal(verifier.verifyUser(CLIENT, token("threadToken", user("userToken"))))).isEqualTo(ErrorCode.UNAUTHORIZED);
  }

  @Test
  void aThreadTokenNeedsItsClaimsAndNoOtherType() {
    assertThat(refusal(verifier.verifyThread(CLIENT, token(null, thread(null))))).isNull();
    assertThat(refusal(verifier.verifyThread(CLIENT, token("JWT", thread("threadToken"))))).isNull();
    assertThat(refusal(verifier.verifyThread(CLIENT, token(null, thread("userToken"))))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(refusal(verifier.verifyThread(CLIENT, token(null, thread("Bearer"))))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(refusal(verifier.verifyThread(CLIENT, token(null, new JsonObject().put("threadId", "t1").put("typ", "threadToken")))))
      .isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(refusal(verifier.verifyThread(CLIENT, token(null, new JsonObject().put("memberIds", new JsonArray().add("u1"))))))
      .isEqualTo(ErrorCode.UNAUTHORIZED);
  }

  @Test
  void aRememberedTokenIsStillCheckedForTheKindAskedFor() {
    String threadToken = token(null, thread(null).put("sub", "u1"));
    assertThat(refusal(verifier.verifyThread(CLIENT, threadToken))).isNull();
    long checks = verifier.signatureChecks.sum();
    assertThat(refusal(verifier.verifyUser(CLIENT, threadToken))).isEqualTo(ErrorCode.UNAUTHORIZED);
    assertThat(verifier.signatureChecks.sum()).as("answered from memory").isEqualTo(checks);
  }
}
