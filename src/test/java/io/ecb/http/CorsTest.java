package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Browser origins with an allowed list ({@code http.allowedOrigins} = ["https://app.example"]) and
 * the per-user request rate limit ({@code limits.requestsPerSecond} 5, {@code limits.requestBurst} 5)
 * on {@code /api/v1}.
 */
@Timeout(60)
class CorsTest extends NodeTestBase {

  private static final String APP = "https://app.example";

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("http").put("allowedOrigins", new JsonArray().add(APP));
    config.getJsonObject("limits").put("requestsPerSecond", 5).put("requestBurst", 5);
  }

  private HttpRequest<Buffer> request(HttpMethod method, String uri) {
    return http.request(method, node.port(), "127.0.0.1", uri);
  }

  private static void error(HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo(code);
  }

  private static List<String> headerList(HttpResponse<Buffer> r, String name) {
    String v = r.getHeader(name);
    assertThat(v).as(name).isNotNull();
    return Arrays.stream(v.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
  }

  @Test
  void preflightFromTheAllowedOriginAllowsTheTokenHeaders() {
    HttpResponse<Buffer> r = request(HttpMethod.OPTIONS, "/api/v1/threads/t1/messages")
      .putHeader("Origin", APP)
      .putHeader("Access-Control-Request-Method", "POST")
      .putHeader("Access-Control-Request-Headers", "authorization,x-thread-token,content-type")
      .send().await();
    assertThat(r.statusCode()).isBetween(200, 204);
    assertThat(r.getHeader("Access-Control-Allow-Origin")).isEqualTo(APP);
    assertThat(headerList(r, "Access-Control-Allow-Headers")).contains("authorization", "x-thread-token", "content-type");
    assertThat(headerList(r, "Access-Control-Allow-Methods")).contains("post", "get");
    assertThat(backend.calls).isEmpty();
  }

  @Test
  void actualRequestsFromTheAllowedOriginGetCorsHeaders() {
    HttpResponse<Buffer> r = request(HttpMethod.GET, "/api/v1/contacts")
      .putHeader("Origin", APP)
      .putHeader("Authorization", "Bearer " + backend.userToken("u1"))
      .send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Access-Control-Allow-Origin")).isEqualTo(APP);
    assertThat(r.bodyAsJsonObject().getInteger("totalItems")).isEqualTo(4);

    // The browser only shows an error to the page when the error carries CORS headers too.
    HttpResponse<Buffer> unauthorized = request(HttpMethod.GET, "/api/v1/contacts").putHeader("Origin", APP).send().await();
    error(unauthorized, 401, "UNAUTHORIZED");
    assertThat(unauthorized.getHeader("Access-Control-Allow-Origin")).isEqualTo(APP);
  }

  @Test
  void foreignOriginsAreRefused() {
    HttpResponse<Buffer> preflight = request(HttpMethod.OPTIONS, "/api/v1/contacts")
      .putHeader("Origin", "https://evil.example")
      .putHeader("Access-Control-Request-Method", "GET")
      .putHeader("Access-Control-Request-Headers", "authorization")
      .send().await();
    error(preflight, 403, "FORBIDDEN");
    assertThat(preflight.getHeader("Access-Control-Allow-Origin")).isNull();

    for (String origin : new String[]{"https://evil.example", "http://app.example", "https://app.example.evil.com", "null"}) {
      HttpResponse<Buffer> r = request(HttpMethod.GET, "/api/v1/contacts")
        .putHeader("Origin", origin)
        .putHeader("Authorization", "Bearer " + backend.userToken("u2"))
        .send().await();
      error(r, 403, "FORBIDDEN");
      assertThat(r.getHeader("Access-Control-Allow-Origin")).as(origin).isNull();
    }
    assertThat(backend.count("getContacts")).isZero();

    // Non-browser clients (no Origin) still pass.
    HttpResponse<Buffer> plain = request(HttpMethod.GET, "/api/v1/contacts")
      .putHeader("Authorization", "Bearer " + backend.userToken("u2")).send().await();
    assertThat(plain.statusCode()).isEqualTo(200);
  }

  @Test
  void theSixthQuickRequestOfOneUserIsRateLimited() {
    String u3 = backend.userToken("u3");
    String u4 = backend.userToken("u4");
    // Warm the path up with another user, so the burst below is quick (well under the 200 ms a refill takes).
    request(HttpMethod.GET, "/api/v1/threads/t-none").putHeader("Authorization", "Bearer " + backend.userToken("u5")).send().await();
    // Six requests at once: the bucket holds five and refills one every 200 ms.
    List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      burst.add(request(HttpMethod.GET, "/api/v1/threads/t-none").putHeader("Authorization", "Bearer " + u3).send());
    }
    Future.join(burst).await();
    List<Integer> statuses = burst.stream().map(f -> f.result().statusCode()).toList();
    // 401: the request got past the rate limit, then failed for its missing threadToken.
    assertThat(statuses).containsOnly(401, 429);
    assertThat(statuses.stream().filter(s -> s == 429).count()).isEqualTo(1);
    HttpResponse<Buffer> limited = burst.stream().map(Future::result).filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    error(limited, 429, "RATE_LIMITED");

    // Another user has a budget of their own.
    HttpResponse<Buffer> other = request(HttpMethod.GET, "/api/v1/contacts").putHeader("Authorization", "Bearer " + u4).send().await();
    assertThat(other.statusCode()).isEqualTo(200);
    assertThat(backend.last("getContacts").body().getJsonObject("user").getString("userId")).isEqualTo("u4");
  }
}
