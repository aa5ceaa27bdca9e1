package io.ecb.transport;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code http.allowedOrigins} only adds origins: with a list that does not name it, the node's own
 * origin (the scheme and Host the request came to) is still accepted on every browser-facing path
 * (/api/v1, the bridge, the notify profile's /authorize), and other origins are not.
 */
@Timeout(60)
class OwnOriginTest extends NodeTestBase {

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("http").put("allowedOrigins", new JsonArray().add("https://app.example"));
  }

  private String own() {
    return "http://127.0.0.1:" + node.port();
  }

  private HttpResponse<Buffer> contacts(String origin) {
    return http.get(node.port(), "127.0.0.1", "/api/v1/contacts")
      .putHeader("Origin", origin)
      .putHeader("Authorization", "Bearer " + backend.userToken("u1"))
      .send().await();
  }

  @Test
  void theApiAcceptsItsOwnOrigin() {
    HttpResponse<Buffer> r = contacts(own());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getInteger("totalItems")).isEqualTo(4);
    // Same-origin needs no CORS headers, and gets none that would open it to others.
    assertThat(r.getHeader("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  void otherOriginsOfTheSameHostAreStillRefused() {
    for (String origin : new String[]{"http://127.0.0.1:" + (node.port() + 1), "http://localhost:" + node.port(),
      "http://127.0.0.1", own() + "/path", "ftp://127.0.0.1:" + node.port()}) {
      assertThat(contacts(origin).statusCode()).as(origin).isEqualTo(403);
    }
  }

  @Test
  void theBridgeAcceptsItsOwnOrigin() {
    BridgeClient sockJs = BridgeClient.connect(vertx, node.port(), false, own()).await();
    sockJs.close().await();
    BridgeClient raw = BridgeClient.connect(vertx, node.port(), true, own()).await();
    raw.close().await();
    assertThat(http.get(node.port(), "127.0.0.1", "/eventbus/info").putHeader("Origin", own()).send().await().statusCode())
      .isEqualTo(200);
    assertThat(catchThrowable(() -> BridgeClient.connect(vertx, node.port(), true, "https://evil.example").await())).isNotNull();
  }

  @Test
  void notifyAuthorizeAcceptsItsOwnOrigin() {
    HttpResponse<Buffer> r = http.get(node.port(), "127.0.0.1", "/authorize")
      .putHeader("Origin", own())
      .putHeader("Authorization", "Bearer " + backend.userToken("u1"))
      .send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getString("token")).isNotEmpty();
  }

  @Test
  void ownOriginComparesSchemeHostAndPort() {
    // Plain HTTP: either scheme, since a TLS-terminating proxy may be in front.
    assertThat(Origins.ownOrigin("http://chat.example", "chat.example", false)).isTrue();
    assertThat(Origins.ownOrigin("https://chat.example", "chat.example", false)).isTrue();
    assertThat(Origins.ownOrigin("https://Chat.Example:443", "chat.example", false)).isTrue();
    assertThat(Origins.ownOrigin("http://chat.example:8080", "chat.example:8080", false)).isTrue();
    assertThat(Origins.ownOrigin("http://[::1]:8080", "[::1]:8080", false)).isTrue();
    assertThat(Origins.ownOrigin("http://[::1]", "[::1]", false)).isTrue();
    // Over TLS only https.
    assertThat(Origins.ownOrigin("https://chat.example", "chat.example", true)).isTrue();
    assertThat(Origins.ownOrigin("http://chat.example", "chat.example", true)).isFalse();

    assertThat(Origins.ownOrigin("http://chat.example", "chat.example:8080", false)).isFalse();
    assertThat(Origins.ownOrigin("http://chat.example:8080", "chat.example", false)).isFalse();
    assertThat(Origins.ownOrigin("http://chat.example.evil", "chat.example", false)).isFalse();
    assertThat(Origins.ownOrigin("http://[::2]:8080", "[::1]:8080", false)).isFalse();
    assertThat(Origins.ownOrigin("null", "chat.example", false)).isFalse();
    assertThat(Origins.ownOrigin("http://chat.example", null, false)).isFalse();
    assertThat(Origins.ownOrigin("http://user@chat.example", "chat.example", false)).isFalse();
    assertThat(Origins.ownOrigin("http://chat.example", "chat.example:x", false)).isFalse();
  }
}
