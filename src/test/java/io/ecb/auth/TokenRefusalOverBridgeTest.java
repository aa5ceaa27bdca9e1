package io.ecb.auth;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.ecb.support.TestKeys;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad userTokens end to end: the node refuses them with 401 UNAUTHORIZED and never calls the backend. */
@Timeout(60)
class TokenRefusalOverBridgeTest extends NodeTestBase {

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String rs256(JsonObject claims) {
    try {
      String input = b64(new JsonObject().put("alg", "RS256").put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8))
        + "." + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(TestKeys.rsa().pair.getPrivate());
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String expiredToken() {
    long now = System.currentTimeMillis() / 1000;
    return rs256(new JsonObject().put("userId", "u1").put("displayName", "User 1").put("iat", now - 3600).put("exp", now - 120));
  }

  private String tamperedToken() {
    String[] p = backend.userToken("u1").split("\\.");
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8));
    claims.put("userId", "u2").put("displayName", "User 2");
    return p[0] + "." + b64(claims.encode().getBytes(StandardCharsets.UTF_8)) + "." + p[2];
  }

  /** The bad tokens, by name; null stands for "no token at all". */
  private Map<String, String> badTokens() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("expired", expiredToken());
    m.put("tampered", tamperedToken());
    m.put("missing", null);
    return m;
  }

  @Test
  void goodTokenReachesTheBackend() {
    // Guards the tests below: the same request with a valid token does call getContacts.
    BridgeClient c = bridge();
    JsonObject page = c.request("ecb.getContacts", user("u1"), new JsonObject()).await();
    assertThat(page.getJsonArray("items")).isNotEmpty();
    assertThat(backend.count("getContacts")).isEqualTo(1);
    c.close().await();
  }

  @Test
  void badUserTokensAreRefusedOverTheBridge() {
    BridgeClient c = bridge();
    badTokens().forEach((name, token) -> {
      JsonObject headers = token == null ? new JsonObject() : new JsonObject().put("userToken", token);
      assertThatThrownBy(() -> c.request("ecb.getContacts", headers, new JsonObject()).await())
        .as(name)
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
          assertThat(f.failureCode).as(name).isEqualTo(401);
          assertThat(f.code()).as(name).isEqualTo("UNAUTHORIZED");
        });
    });
    // no headers object at all
    assertThatThrownBy(() -> c.request("ecb.getContacts", null, new JsonObject()).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(401);
        assertThat(f.code()).isEqualTo("UNAUTHORIZED");
      });
    // The replies above came after the node decided; a backend call would have been recorded by then.
    assertThat(backend.count("getContacts")).isZero();
    assertThat(backend.calls).isEmpty();
    c.close().await();
  }

  @Test
  void badBearerTokensAreRefusedOverHttp() {
    Map<String, String> tokens = badTokens();
    tokens.put("garbage", "not-a-jwt");
    tokens.forEach((name, token) -> {
      HttpRequest<Buffer> req = http.get(node.port(), "127.0.0.1", "/api/v1/contacts");
      if (token != null) req.putHeader("Authorization", "Bearer " + token);
      HttpResponse<Buffer> resp = req.send().await();
      assertThat(resp.statusCode()).as(name).isEqualTo(401);
      assertThat(resp.getHeader("Content-Type")).as(name).startsWith("application/json");
      JsonObject body = resp.bodyAsJsonObject();
      assertThat(body.fieldNames()).as(name).containsExactly("error");
      JsonObject error = body.getJsonObject("error");
      assertThat(error.getString("code")).as(name).isEqualTo("UNAUTHORIZED");
      assertThat(error.getValue("message")).as(name).isInstanceOf(String.class);
      assertThat(error.getString("message")).as(name).isNotBlank();
    });
    assertThat(backend.count("getContacts")).isZero();

    // sanity: the same route with a valid bearer succeeds
    HttpResponse<Buffer> ok = http.get(node.port(), "127.0.0.1", "/api/v1/contacts")
      .putHeader("Authorization", "Bearer " + backend.userToken("u1")).send().await();
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(backend.count("getContacts")).isEqualTo(1);
  }
}
