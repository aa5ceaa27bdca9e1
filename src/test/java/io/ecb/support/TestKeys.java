package io.ecb.support;

import io.ecb.backend.TokenMinter;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/** Key pairs made for the test run, and a signer of userTokens and threadTokens with them. */
public final class TestKeys {

  public final String algorithm;
  public final String privatePem;
  public final String publicPem;
  public final KeyPair pair;

  private TestKeys(String algorithm, KeyPair pair) {
    this.algorithm = algorithm;
    this.pair = pair;
    this.privatePem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
    this.publicPem = pem("PUBLIC KEY", pair.getPublic().getEncoded());
  }

  private static TestKeys rsa;

  /** One RSA pair per JVM: generating one takes a while. */
  public static synchronized TestKeys rsa() {
    if (rsa == null) rsa = generate("RS256");
    return rsa;
  }

  public static TestKeys generate(String algorithm) {
    try {
      KeyPairGenerator g;
      if (algorithm.startsWith("ES")) {
        g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
      }
      return new TestKeys(algorithm, g.generateKeyPair());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
      + "\n-----END " + type + "-----\n";
  }

  public JWTAuth signer(Vertx vertx) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(privatePem)));
  }

  public String sign(Vertx vertx, JsonObject claims, int expiresInSeconds) {
    return new TokenMinter(vertx, algorithm, privatePem).sign(claims, expiresInSeconds);
  }
}
