package io.ecb.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.ecb.error.EcbException;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
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
 *
 * <p>Every check names its {@link Caller}. A token not remembered is checked only while the caller
 * is within its budget of failed checks ({@link FailedChecks}); otherwise it is refused
 * RATE_LIMITED without being looked at, so a flood of bad tokens cannot buy signature checks.
 *
 * <p>Tokens have types: a userToken or threadToken may say what it is with {@code typ} (claim, or
 * header other than the generic {@code JWT}), and one typed as something else, or a "userToken"
 * carrying a threadId, is refused. Untyped tokens are taken for what their claims make them.
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
  private final Cache<String, Verified> verified;
  private final FailedChecks failedChecks;
  /** {@code typ} values a userToken may declare, lower case. */
  private final Set<String> userTokenTypes;
  /** Bumped when new JWKS keys replace the old, ending every {@link VerifiedUser} checked with those. */
  private volatile long keyGeneration;
  /** Signatures checked (tokens not answered from memory and not refused beforehand). */
  public final LongAdder signatureChecks = new LongAdder();

  private TokenVerifier(Vertx vertx, EcbConfig.Auth config, FailedChecks failedChecks) {
    this.vertx = vertx;
    this.config = config;
    this.failedChecks = failedChecks;
    this.userTokenTypes = config.userTokenTypes.stream().map(t -> t.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    this.verified = config.verifiedTokenCacheSize <= 0 ? null : Caffeine.newBuilder()
      .maximumSize(config.verifiedTokenCacheSize)
      .expireAfter(Expiry.creating((String token, Verified v) -> untilExpiry(v.claims)))
      // Housekeeping on the calling thread: no pool threads competing with the event loops.
      .executor(Runnable::run)
      .build();
    this.jwtOptions = new JWTOptions().setLeeway(config.leewaySeconds);
    if (config.issuer != null) jwtOptions.setIssuer(config.issuer);
    if (config.audience != null) jwtOptions.setAudience(List.of(config.audience));
  }

  /** A verifier with no limit on failed checks (tools and tests); a node uses the other create. */
  public static Future<TokenVerifier> create(Vertx vertx, EcbConfig.Auth config) {
    return create(vertx, config, FailedChecks.unlimited());
  }

  /**
   * Creates the verifier, which consults {@code failedChecks} before every signature check; with a
   * JWKS URL, the keys are fetched before the future completes.
   */
  public static Future<TokenVerifier> create(Vertx vertx, EcbConfig.Auth config, FailedChecks failedChecks) {
    TokenVerifier v = new TokenVerifier(vertx, config, failedChecks);
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
        keyGeneration++;
        if (verified != null) verified.invalidateAll();
        return (Void) null;
      })
      .eventually(() -> {
        client.close();
        return Future.succeededFuture();
      });
  }

  /** Verifies a userToken and remembers it; fails with UNAUTHORIZED (RATE_LIMITED past the caller's budget). */
  public Future<ChatUser> verifyUser(Caller caller, String token) {
    return verifyUser(caller, token, true);
  }

  /**
   * Verifies a userToken presented by {@code caller}; fails with UNAUTHORIZED, or RATE_LIMITED
   * (unchecked) when the caller is past its budget of failed checks. With {@code remember} false a
   * token that is not remembered yet is not added: a connection's subscription is checked once,
   * and remembering the token of every idle connection would cost more memory than the checks it
   * saves.
   */
  public Future<ChatUser> verifyUser(Caller caller, String token, boolean remember) {
    return verify(caller, token, Kind.USER, remember).map(TokenVerifier::user);
  }

  /**
   * Verifies, without remembering, the userToken a connection presents for its whole life; the
   * connection keeps the result and asks {@link #stillValid} instead of checking it again.
   */
  public Future<VerifiedUser> verifyConnectionUser(Caller caller, String token) {
    long keysNow = keyGeneration;
    return verify(caller, token, Kind.USER, false).map(claims -> new VerifiedUser(token, user(claims), expiresAtMillis(claims), keysNow));
  }

  /** Whether {@code v} still stands: its token has not expired and the keys it was checked with are current. */
  public boolean stillValid(VerifiedUser v) {
    return v.keys() == keyGeneration && System.currentTimeMillis() < v.validUntilMillis();
  }

  private static ChatUser user(JsonObject claims) {
    String userId = claims.getString("userId", claims.getString("sub"));
    List<String> channels = stringList(claims.getValue("channels"));
    return new ChatUser(userId, claims.getString("displayName", userId), claims.getValue("data"), channels);
  }

  /** Verifies a threadToken and remembers it; fails with UNAUTHORIZED (RATE_LIMITED past the caller's budget). */
  public Future<ThreadGrant> verifyThread(Caller caller, String token) {
    return verifyThread(caller, token, true);
  }

  /** Verifies a threadToken; with {@code remember} false it is not added to the remembered ones. */
  public Future<ThreadGrant> verifyThread(Caller caller, String token, boolean remember) {
    return verify(caller, token, Kind.THREAD, remember)
      .map(claims -> new ThreadGrant(claims.getString("threadId"), stringList(claims.getValue("memberIds"))));
  }

  /** The limiter consulted before every signature check; other credentials (socket tokens, channel secrets) use it too. */
  public FailedChecks failedChecks() {
    return failedChecks;
  }

  /** The two kinds of token a client presents, each with what its claims must say. */
  private enum Kind {
    USER("userToken"), THREAD("threadToken");

    final String name;

    Kind(String name) {
      this.name = name;
    }
  }

  /** What is remembered of a verified token: its claims and the types it declares ({@code typ} claim and header). */
  private record Verified(JsonObject claims, List<String> types) {
  }

  private Future<JsonObject> verify(Caller caller, String token, Kind kind, boolean remember) {
    String what = kind.name;
    if (token == null || token.isBlank()) {
      return Future.failedFuture(EcbException.unauthorized(what + " is missing"));
    }
    Verified known = verified == null ? null : verified.getIfPresent(token);
    if (known != null) {
      // No signature work; a remembered token of the wrong kind still counts as a failed check.
      String problem = problem(known, kind);
      if (problem == null) return Future.succeededFuture(known.claims);
      failedChecks.failed(caller);
      return Future.failedFuture(EcbException.unauthorized(problem));
    }
    return failedChecks.check(caller, () -> checkSignature(token, what).compose(v -> {
      String problem = problem(v, kind);
      if (problem != null) return Future.failedFuture(EcbException.unauthorized(problem));
      if (verified != null && remember) verified.put(token, v);
      return Future.succeededFuture(v.claims);
    }));
  }

  /** The signature and the registered claims; the verified token, or UNAUTHORIZED. */
  private Future<Verified> checkSignature(String token, String what) {
    JsonObject header = header(token);
    String alg = header == null ? null : header.getValue("alg") instanceof String a ? a : null;
    if (!config.algorithm.equals(alg)) {
      return Future.failedFuture(EcbException.unauthorized(what + " is not signed with " + config.algorithm));
    }
    JWTAuth current = jwt;
    if (current == null) {
      return Future.failedFuture(EcbException.unauthorized(what + " cannot be verified: no keys loaded"));
    }
    signatureChecks.increment();
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
        List<String> types = new ArrayList<>(2);
        declaredType(header.getValue("typ")).ifPresent(types::add);
        declaredType(claims.getValue("typ")).ifPresent(types::add);
        return Future.succeededFuture(new Verified(claims, types));
      });
  }

  /**
   * Why a verified token cannot serve as {@code kind}, or null when it can. A token says what it is
   * with {@code typ} (claim, or header other than the generic {@code JWT}); an untyped token is
   * taken for what its claims make it. A userToken may not carry a threadId (a threadToken is not a
   * userToken) and must name its user; a threadToken must carry threadId and memberIds.
   */
  private String problem(Verified v, Kind kind) {
    JsonObject claims = v.claims;
    if (kind == Kind.USER) {
      for (String t : v.types) {
        if (!userTokenTypes.contains(t.toLowerCase(Locale.ROOT))) return "token of type " + t + " is not a userToken";
      }
      if (claims.containsKey("threadId")) return "a threadToken is not a userToken";
      String userId = claims.getString("userId", claims.getString("sub"));
      if (userId == null || userId.isBlank()) return "userToken has no userId";
      return null;
    }
    for (String t : v.types) {
      if (!t.equalsIgnoreCase(Kind.THREAD.name)) return "token of type " + t + " is not a threadToken";
    }
    String threadId = claims.getString("threadId");
    if (threadId == null || threadId.isBlank() || !(claims.getValue("memberIds") instanceof JsonArray)) {
      return "threadToken needs threadId and memberIds";
    }
    return null;
  }

  /** A {@code typ} value that names a type: not absent, not the generic JWT; "application/" is dropped (RFC 8725). */
  private static Optional<String> declaredType(Object typ) {
    if (!(typ instanceof String t) || t.isBlank()) return Optional.empty();
    String type = t.regionMatches(true, 0, "application/", 0, 12) ? t.substring(12) : t;
    return type.equalsIgnoreCase("JWT") ? Optional.empty() : Optional.of(type);
  }

  /** How long a verified token stays valid: to its exp plus the clock skew. */
  private Duration untilExpiry(JsonObject claims) {
    return Duration.ofMillis(Math.max(0, expiresAtMillis(claims) - System.currentTimeMillis()));
  }

  /** When a verified token stops being valid: its exp plus the clock skew. */
  private long expiresAtMillis(JsonObject claims) {
    return (((Number) claims.getValue("exp")).longValue() + config.leewaySeconds) * 1000L;
  }

  private static JsonObject header(String token) {
    int dot = token.indexOf('.');
    if (dot <= 0) return null;
    try {
      return new JsonObject(new String(Base64.getUrlDecoder().decode(token.substring(0, dot)), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static List<String> stringList(Object v) {
    if (v instanceof JsonArray a) return a.stream().map(String::valueOf).toList();
    return List.of();
  }
}
