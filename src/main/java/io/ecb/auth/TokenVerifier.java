package io.ecb.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.ecb.chat.EcbException;
import io.ecb.config.EcbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.http.HttpResponseExpectation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Verifies the customer backend's userTokens and threadTokens with vertx-auth-jwt.
 *
 * <p>The algorithm is pinned by config: the token header's {@code alg} must equal it before any
 * signature check runs, so neither {@code none} nor an HS256 token signed with the RSA public key
 * as its secret can get through. {@code exp} is required (JWTAuth alone accepts tokens without it);
 * {@code nbf}, {@code iss} and {@code aud} are checked with the configured clock skew.
 *
 * <p>Clients send the same tokens with every request and an RS256 check is the largest CPU cost of
 * a chat send, so verified tokens are remembered, by their exact text, until their {@code exp}
 * (plus the skew): a token that verified once verifies the same way until then. Refusals are not
 * remembered; new JWKS keys clear what was.
 */
public final class TokenVerifier {

  private static final Logger LOG = Logger.getLogger(TokenVerifier.class.getName());
  private static final Set<String> KNOWN = Set.of("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "PS256");
  private static final long JWKS_REFRESH_MS = 10 * 60_000;

  private final Vertx vertx;
  private final EcbConfig.Auth config;
  private final JWTOptions jwtOptions;
  private volatile JWTAuth jwt;
  /** Token text → its verified claims; null when {@code auth.verifiedTokenCacheSize} is 0. */
  private final Cache<String, JsonObject> verified;

  private TokenVerifier(Vertx vertx, EcbConfig.Auth config) {
    this.vertx = vertx;
    this.config = config;
    this.verified = config.verifiedTokenCacheSize <= 0 ? null : Caffeine.newBuilder()
      .maximumSize(config.verifiedTokenCacheSize)
      .expireAfter(Expiry.creating((String token, JsonObject claims) -> untilExpiry(claims)))
      // Housekeeping on the calling thread: no pool threads competing with the event loops.
      .executor(Runnable::run)
      .build();
    this.jwtOptions = new JWTOptions().setLeeway(config.leewaySeconds);
    if (config.issuer != null) jwtOptions.setIssuer(config.issuer);
    if (config.audience != null) jwtOptions.setAudience(List.of(config.audience));
  }

  /** Creates the verifier; with a JWKS URL, the keys are fetched before the future completes. */
  public static Future<TokenVerifier> create(Vertx vertx, EcbConfig.Auth config) {
    TokenVerifier v = new TokenVerifier(vertx, config);
    if (!KNOWN.contains(config.algorithm)) {
      return Future.failedFuture("auth.algorithm " + config.algorithm + " is not supported");
    }
    if (config.algorithm.startsWith("HS")) {
      if (config.secret == null) return Future.failedFuture("auth.algorithm " + config.algorithm + " needs auth.secret");
      v.jwt = JWTAuth.create(vertx, v.options().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm(config.algorithm).setBuffer(config.secret)));
      return Future.succeededFuture(v);
    }
    if (config.jwksUrl != null) {
      return v.refreshJwks().map(x -> {
        vertx.setPeriodic(JWKS_REFRESH_MS, id -> v.refreshJwks()
          .onFailure(e -> LOG.warning("JWKS refresh failed, keeping the old keys: " + e.getMessage())));
        return v;
      });
    }
    if (config.publicKey == null) {
      return Future.failedFuture("auth.publicKey (PEM) or auth.jwksUrl is required for " + config.algorithm);
    }
    v.jwt = JWTAuth.create(vertx, v.options().addPubSecKey(
      new PubSecKeyOptions().setAlgorithm(config.algorithm).setBuffer(config.publicKey)));
    return Future.succeededFuture(v);
  }

  private JWTAuthOptions options() {
    return new JWTAuthOptions().setJWTOptions(jwtOptions);
  }

  private Future<Void> refreshJwks() {
    WebClient client = WebClient.create(vertx);
    return client.getAbs(config.jwksUrl)
      .timeout(5000)
      .send()
      .expecting(HttpResponseExpectation.SC_OK)
      .map(resp -> {
        JWTAuthOptions o = options();
        JsonArray keys = resp.bodyAsJsonObject().getJsonArray("keys", new JsonArray());
        for (Object k : keys) {
          JsonObject key = (JsonObject) k;
          // Keys for other algorithms are skipped so the pin holds for JWKS too.
          String alg = key.getString("alg", config.algorithm);
          if (alg.equals(config.algorithm)) o.addJwk(key.copy().put("alg", alg));
        }
        jwt = JWTAuth.create(vertx, o);
        if (verified != null) verified.invalidateAll();
        return (Void) null;
      })
      .eventually(() -> {
        client.close();
        return Future.succeededFuture();
      });
  }

  /** Verifies a userToken and remembers it; fails with UNAUTHORIZED. */
  public Future<ChatUser> verifyUser(String token) {
    return verifyUser(token, true);
  }

  /**
   * Verifies a userToken; fails with UNAUTHORIZED. With {@code remember} false a token that is not
   * remembered yet is not added: a connection's subscription is checked once, and remembering the
   * token of every idle connection would cost more memory than the checks it saves.
   */
  public Future<ChatUser> verifyUser(String token, boolean remember) {
    return verify(token, "userToken", remember).compose(claims -> {
      String userId = claims.getString("userId", claims.getString("sub"));
      if (userId == null || userId.isBlank()) {
        return Future.failedFuture(EcbException.unauthorized("userToken has no userId"));
      }
      List<String> channels = stringList(claims.getValue("channels"));
      return Future.succeededFuture(new ChatUser(userId, claims.getString("displayName", userId), claims.getValue("data"), channels));
    });
  }

  /** Verifies a threadToken and remembers it; fails with UNAUTHORIZED. */
  public Future<ThreadGrant> verifyThread(String token) {
    return verifyThread(token, true);
  }

  /** Verifies a threadToken; with {@code remember} false it is not added to the remembered ones. */
  public Future<ThreadGrant> verifyThread(String token, boolean remember) {
    return verify(token, "threadToken", remember).compose(claims -> {
      String threadId = claims.getString("threadId");
      Object members = claims.getValue("memberIds");
      if (threadId == null || threadId.isBlank() || !(members instanceof JsonArray)) {
        return Future.failedFuture(EcbException.unauthorized("threadToken needs threadId and memberIds"));
      }
      return Future.succeededFuture(new ThreadGrant(threadId, stringList(members)));
    });
  }

  private Future<JsonObject> verify(String token, String what, boolean remember) {
    if (token == null || token.isBlank()) {
      return Future.failedFuture(EcbException.unauthorized(what + " is missing"));
    }
    JsonObject known = verified == null ? null : verified.getIfPresent(token);
    if (known != null) return Future.succeededFuture(known);
    String alg = headerAlgorithm(token);
    if (!config.algorithm.equals(alg)) {
      return Future.failedFuture(EcbException.unauthorized(what + " is not signed with " + config.algorithm));
    }
    JWTAuth current = jwt;
    if (current == null) {
      return Future.failedFuture(EcbException.unauthorized(what + " cannot be verified: no keys loaded"));
    }
    Future<io.vertx.ext.auth.User> authenticated;
    try {
      authenticated = current.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // JWTAuth throws, rather than failing, on a signed token whose exp/nbf/iat is not a number.
      authenticated = Future.failedFuture(e);
    }
    return authenticated
      .recover(e -> {
        LOG.fine(() -> what + " refused: " + e.getMessage());
        return Future.failedFuture(EcbException.unauthorized(what + " is invalid or expired"));
      })
      .compose(user -> {
        // The decoded payload, registered claims included; principal() leaves exp and nbf out.
        JsonObject claims = user.attributes().getJsonObject("accessToken", user.principal());
        if (!(claims.getValue("exp") instanceof Number)) {
          return Future.failedFuture(EcbException.unauthorized(what + " has no exp"));
        }
        if (verified != null && remember) verified.put(token, claims);
        return Future.succeededFuture(claims);
      });
  }

  /** How long a verified token stays valid: to its exp plus the clock skew. */
  private Duration untilExpiry(JsonObject claims) {
    long expiresAtMs = (((Number) claims.getValue("exp")).longValue() + config.leewaySeconds) * 1000L;
    return Duration.ofMillis(Math.max(0, expiresAtMs - System.currentTimeMillis()));
  }

  private static String headerAlgorithm(String token) {
    int dot = token.indexOf('.');
    if (dot <= 0) return null;
    try {
      String header = new String(Base64.getUrlDecoder().decode(token.substring(0, dot)), StandardCharsets.UTF_8);
      return new JsonObject(header).getString("alg");
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static List<String> stringList(Object v) {
    if (v instanceof JsonArray a) return a.stream().map(String::valueOf).toList();
    return List.of();
  }
}
