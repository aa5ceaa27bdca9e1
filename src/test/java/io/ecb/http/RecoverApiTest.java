package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /api/v1/recover}: ecb.recover for clients without a socket, with the same answers and refusals. */
@Timeout(60)
class RecoverApiTest extends NodeTestBase {

  private static final String KEY = "publisher-key";

  @Override
  protected void configure(JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
  }

  private JsonObject publishToUser(String userId, int data) {
    HttpResponse<Buffer> r = http.post(node.port(), "127.0.0.1", "/api/v1/publish").putHeader("Authorization", "Bearer " + KEY)
      .sendJsonObject(new JsonObject().put("userId", userId).put("event", "e").put("data", data)).await();
    assertThat(r.statusCode()).isEqualTo(202);
    return r.bodyAsJsonObject();
  }

  private HttpResponse<Buffer> recover(String userId, String threadToken, String query) {
    HttpRequest<Buffer> req = http.get(node.port(), "127.0.0.1", "/api/v1/recover?" + query)
      .putHeader("Authorization", "Bearer " + backend.userToken(userId));
    if (threadToken != null) req.putHeader("X-Thread-Token", threadToken);
    return req.send().await();
  }

  @Test
  void aUserStreamIsRecoveredOverHttp() {
    for (int i = 1; i <= 3; i++) publishToUser("u4", i);
    HttpResponse<Buffer> start = recover("u4", null, "address=ecb.user.u4&sinceOffset=0&epoch=unknown");
    assertThat(start.statusCode()).isEqualTo(200);
    assertThat(start.bodyAsJsonObject().getBoolean("recovered")).isFalse();
    String epoch = start.bodyAsJsonObject().getString("epoch");

    HttpResponse<Buffer> r = recover("u4", null, "address=ecb.user.u4&sinceOffset=1&epoch=" + epoch);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getBoolean("recovered")).isTrue();
    assertThat(body.getLong("offset")).isEqualTo(3);
    assertThat(body.getJsonArray("missed").stream().map(p -> ((JsonObject) p).getInteger("data")).toList()).containsExactly(2, 3);
  }

  @Test
  void refusalsAreThoseOfTheBridge() {
    String token = backend.addThread("t-http-rec", "u1", "u2").getString("threadToken");
    record Case(String userId, String threadToken, String query, int status) {
    }
    for (Case k : new Case[]{
      new Case("u1", null, "address=ecb.user.u2&sinceOffset=0&epoch=e", 403),
      new Case("u1", null, "address=ecb.thread.t-http-rec&sinceOffset=0&epoch=e", 401),
      new Case("u3", token, "address=ecb.thread.t-http-rec&sinceOffset=0&epoch=e", 403),
      new Case("u1", null, "address=ecb.user.u1", 400),
      new Case("u1", null, "sinceOffset=0", 400)}) {
      assertThat(recover(k.userId, k.threadToken, k.query).statusCode()).as(k.toString()).isEqualTo(k.status);
    }
    assertThat(recover("u1", token, "address=ecb.thread.t-http-rec&sinceOffset=0&epoch=e").statusCode()).isEqualTo(200);
  }
}
