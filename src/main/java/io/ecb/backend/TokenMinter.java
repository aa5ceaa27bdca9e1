package io.ecb.backend;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

/**
 * The customer backend's side of ECB's tokens: signs userTokens and threadTokens with the backend's
 * private key, which ECB verifies with the public half ({@code auth.publicKey}). ECB itself never
 * mints them; the demo backend, the test backend and the benchmark's backend do.
 */
public final class TokenMinter {

  private final JWTAuth signer;
  private final String algorithm;

  /** {@code privatePem}: a PKCS#8 PEM of an RSA (RS*) or EC (ES*) key, as {@code algorithm} needs. */
  public TokenMinter(Vertx vertx, String algorithm, String privatePem) {
    this.algorithm = algorithm;
    this.signer = JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(privatePem)));
  }

  /** A token with {@code claims}, expiring {@code expiresInSeconds} from now. */
  public String sign(JsonObject claims, int expiresInSeconds) {
    return signer.generateToken(claims, new JWTOptions().setAlgorithm(algorithm).setExpiresInSeconds(expiresInSeconds));
  }
}
