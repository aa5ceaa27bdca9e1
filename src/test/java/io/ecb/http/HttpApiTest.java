package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat operations over plain HTTP ({@code /api/v1}, SPEC section 4) with a real HTTP client on
 * loopback, against a node whose customer backend is the signature-checking stub. Default config:
 * no allowed origins (same origin only), blockNonMembers true.
 */
@Timeout(60)
class HttpApiTest extends NodeTestBase {

  // ---- helpers

  private HttpRequest<Buffer> request(HttpMethod method, String uri, String userToken, String threadToken) {
    HttpRequest<Buffer> r = http.request(method, node.port(), "127.0.0.1", uri);
    if (userToken != null) r.putHeader("Authorization", "Bearer " + userToken);
    if (threadToken != null) r.putHeader("X-Thread-Token", threadToken);
    return r;
  }

  private HttpResponse<Buffer> get(String uri, String userToken, String threadToken) {
    return request(HttpMethod.GET, uri, userToken, threadToken).send().await();
  }

  private HttpResponse<Buffer> post(String uri, String userToken, String threadToken, JsonObject body) {
    return request(HttpMethod.POST, uri, userToken, threadToken).sendJsonObject(body).await();
  }

  private static JsonObject ok(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    return r.bodyAsJsonObject();
  }

  /** An error reply: the status, JSON content and {@code {"error": {code, message}}}. */
  private static JsonObject error(HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.fieldNames()).containsExactly("error");
    JsonObject error = body.getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo(code);
    assertThat(error.getString("message")).isNotBlank();
    return error;
  }

  private static JsonObject text(String text) {
    return new JsonObject().put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", text)));
  }

  private static List<String> ids(JsonArray items, String field) {
    return items.stream().map(o -> ((JsonObject) o).getString(field)).toList();
  }

  /** A backend with {@code n} contacts c01..cNN, to see ECB's paging of a long list. */
  private void manyContacts(int n) {
    JsonArray all = new JsonArray();
    for (int i = 1; i <= n; i++) {
      all.add(new JsonObject().put("userId", String.format("c%02d", i)).put("displayName", "Contact " + i));
    }
    backend.on("getContacts", req -> Future.succeededFuture(StubBackend.Reply.ok(all)));
  }

  // ---- getUserToken

  @Test
  void userTokenExchangesTheAccessToken() {
    JsonObject reply = ok(request(HttpMethod.POST, "/api/v1/user-token", null, null)
      .sendJsonObject(new JsonObject().put("accessToken", "access-u1")).await());
    assertThat(reply.getString("userToken")).isNotBlank();
    assertThat(reply.getJsonObject("user")).isEqualTo(new JsonObject().put("userId", "u1").put("displayName", "User 1"));
    StubBackend.Call call = backend.last("getUserToken");
    assertThat(call.signatureValid()).isTrue();
    assertThat(call.body()).isEqualTo(new JsonObject().put("accessToken", "access-u1"));

    // The token works as the Bearer of the other routes.
    ok(get("/api/v1/contacts", reply.getString("userToken"), null));

    JsonObject refused = error(post("/api/v1/user-token", null, null, new JsonObject().put("accessToken", "nope")), 401, "UNAUTHORIZED");
    assertThat(refused.getString("message")).isEqualTo("unknown accessToken");
    error(post("/api/v1/user-token", null, null, new JsonObject()), 400, "BAD_REQUEST");
  }

  @Test
  void nonJsonBodiesAreRefused() {
    for (String body : new String[]{"not json", "[1,2]", "", "\"text\""}) {
      HttpResponse<Buffer> r = request(HttpMethod.POST, "/api/v1/user-token", null, null)
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body)).await();
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      error(r, 400, "BAD_REQUEST");
    }
    String token = backend.addThread("t-nonjson", "u1", "u2").getString("threadToken");
    HttpResponse<Buffer> r = request(HttpMethod.POST, "/api/v1/threads/t-nonjson/messages", backend.userToken("u1"), token)
      .sendBuffer(Buffer.buffer("{broken")).await();
    error(r, 400, "BAD_REQUEST");
    error(request(HttpMethod.POST, "/api/v1/threads", backend.userToken("u1"), null).sendBuffer(Buffer.buffer("x")).await(),
      400, "BAD_REQUEST");
    assertThat(backend.count("getUserToken")).isZero();
    assertThat(backend.count("addThreadMessage")).isZero();
    assertThat(backend.count("createThread")).isZero();
  }

  @Test
  void bodiesOverTheFrameLimitGet413() {
    String token = backend.addThread("t-big", "u1", "u2").getString("threadToken");
    JsonObject big = text("x".repeat(65 * 1024));
    error(post("/api/v1/threads/t-big/messages", backend.userToken("u1"), token, big), 413, "PAYLOAD_TOO_LARGE");
    error(post("/api/v1/user-token", null, null, new JsonObject().put("accessToken", "access-" + "y".repeat(70_000))),
      413, "PAYLOAD_TOO_LARGE");
    assertThat(backend.count("addThreadMessage")).isZero();
    assertThat(backend.count("getUserToken")).isZero();
    // Just under the limit still goes through.
    ok(post("/api/v1/threads/t-big/messages", backend.userToken("u1"), token, text("x".repeat(60 * 1024))));
  }

  @Test
  void unknownRoutesGet404Json() {
    error(get("/api/v1/nothing-here", backend.userToken("u1"), null), 404, "NOT_FOUND");
    error(post("/api/v1/contacts/extra", backend.userToken("u1"), null, new JsonObject()), 404, "NOT_FOUND");
    error(get("/api/v2/threads", backend.userToken("u1"), null), 404, "NOT_FOUND");
  }

  @Test
  void missingOrBadUserTokenGets401() {
    error(get("/api/v1/contacts", null, null), 401, "UNAUTHORIZED");
    error(get("/api/v1/threads", "not-a-jwt", null), 401, "UNAUTHORIZED");
    error(request(HttpMethod.GET, "/api/v1/contacts", null, null).putHeader("Authorization", "Basic dTE6cA==").send().await(),
      401, "UNAUTHORIZED");
    assertThat(backend.count("getContacts")).isZero();
    assertThat(backend.count("getThreads")).isZero();
  }

  // ---- paging

  @Test
  void contactsPageWithDefaults() {
    manyContacts(45);
    JsonObject page = ok(get("/api/v1/contacts", backend.userToken("u1"), null));
    assertThat(page.getInteger("pageStartIndex")).isZero();
    assertThat(page.getInteger("pageSize")).isEqualTo(20);
    assertThat(page.getInteger("totalItems")).isEqualTo(45);
    assertThat(ids(page.getJsonArray("items"), "userId")).hasSize(20).startsWith("c01").endsWith("c20");
    assertThat(page.getValue("previousPage")).isNull();
    assertThat(page.containsKey("previousPage")).isTrue();
    assertThat(page.getJsonObject("nextPage")).isEqualTo(new JsonObject().put("pageStartIndex", 20).put("pageSize", 20));
    assertThat(backend.last("getContacts").body().getJsonObject("user").getString("userId")).isEqualTo("u1");

    // Empty parameters count as absent.
    JsonObject same = ok(get("/api/v1/contacts?pageStartIndex=&pageSize=", backend.userToken("u1"), null));
    assertThat(same).isEqualTo(page);
  }

  @Test
  void contactsPagesInTheMiddleAndAtTheEnd() {
    manyContacts(45);
    String u1 = backend.userToken("u1");
    JsonObject middle = ok(get("/api/v1/contacts?pageStartIndex=10&pageSize=15", u1, null));
    assertThat(middle.getInteger("pageStartIndex")).isEqualTo(10);
    assertThat(middle.getInteger("pageSize")).isEqualTo(15);
    assertThat(ids(middle.getJsonArray("items"), "userId")).hasSize(15).startsWith("c11").endsWith("c25");
    assertThat(middle.getJsonObject("previousPage")).isEqualTo(new JsonObject().put("pageStartIndex", 0).put("pageSize", 15));
    assertThat(middle.getJsonObject("nextPage")).isEqualTo(new JsonObject().put("pageStartIndex", 25).put("pageSize", 15));

    JsonObject last = ok(get("/api/v1/contacts?pageStartIndex=40&pageSize=20", u1, null));
    assertThat(last.getInteger("pageStartIndex")).isEqualTo(40);
    assertThat(last.getInteger("pageSize")).isEqualTo(5);
    assertThat(last.getInteger("totalItems")).isEqualTo(45);
    assertThat(ids(last.getJsonArray("items"), "userId")).containsExactly("c41", "c42", "c43", "c44", "c45");
    assertThat(last.containsKey("nextPage")).isTrue();
    assertThat(last.getValue("nextPage")).isNull();
    assertThat(last.getJsonObject("previousPage")).isEqualTo(new JsonObject().put("pageStartIndex", 20).put("pageSize", 20));

    JsonObject exact = ok(get("/api/v1/contacts?pageStartIndex=25&pageSize=20", u1, null));
    assertThat(exact.getInteger("pageSize")).isEqualTo(20);
    assertThat(exact.getValue("nextPage")).as("the page ends exactly at the last item").isNull();

    JsonObject beyond = ok(get("/api/v1/contacts?pageStartIndex=50&pageSize=20", u1, null));
    assertThat(beyond.getInteger("pageStartIndex")).isEqualTo(50);
    assertThat(beyond.getInteger("pageSize")).isZero();
    assertThat(beyond.getInteger("totalItems")).isEqualTo(45);
    assertThat(beyond.getJsonArray("items")).isEmpty();
    assertThat(beyond.getValue("nextPage")).isNull();
    JsonObject previous = beyond.getJsonObject("previousPage");
    assertThat(previous).as("a page past the end still leads back").isNotNull();
    assertThat(previous.getInteger("pageSize")).isEqualTo(20);
    assertThat(previous.getInteger("pageStartIndex")).isBetween(0, 44);

    JsonObject limits = ok(get("/api/v1/contacts?pageStartIndex=0&pageSize=100", u1, null));
    assertThat(limits.getInteger("pageSize")).isEqualTo(45);
    JsonObject one = ok(get("/api/v1/contacts?pageSize=1", u1, null));
    assertThat(ids(one.getJsonArray("items"), "userId")).containsExactly("c01");
    assertThat(one.getJsonObject("nextPage")).isEqualTo(new JsonObject().put("pageStartIndex", 1).put("pageSize", 1));
  }

  @Test
  void badPagingIsRefusedBeforeTheBackend() {
    String u1 = backend.userToken("u1");
    for (String query : new String[]{"pageSize=0", "pageSize=101", "pageSize=-1", "pageSize=abc", "pageStartIndex=-1",
      "pageStartIndex=x&pageSize=5", "pageSize=1.5", "pageStartIndex=99999999999"}) {
      error(get("/api/v1/contacts?" + query, u1, null), 400, "BAD_REQUEST");
      error(get("/api/v1/threads?" + query, u1, null), 400, "BAD_REQUEST");
    }
    assertThat(backend.count("getContacts")).isZero();
    assertThat(backend.count("getThreads")).isZero();
  }

  // ---- threads

  @Test
  void createThreadThenListAndReadIt() {
    String u4 = backend.userToken("u4");
    JsonObject created = ok(post("/api/v1/threads", u4, null, new JsonObject()
      .put("memberIds", new JsonArray().add("u5"))
      .put("data", new JsonObject().put("topic", "http"))
      .put("message", text("first").getJsonObject("message"))));
    JsonObject thread = created.getJsonObject("thread");
    String threadId = thread.getString("threadId");
    String threadToken = thread.getString("threadToken");
    assertThat(threadToken).isNotBlank();
    assertThat(created.getJsonArray("messages").getJsonObject(0).getJsonObject("data").getString("messageText")).isEqualTo("first");
    JsonObject sent = backend.last("createThread").body();
    assertThat(sent.getJsonObject("user").getString("userId")).isEqualTo("u4");
    assertThat(sent.getJsonArray("memberIds")).isEqualTo(new JsonArray().add("u5"));
    assertThat(sent.getJsonObject("data")).isEqualTo(new JsonObject().put("topic", "http"));

    error(post("/api/v1/threads", u4, null, new JsonObject().put("memberIds", new JsonArray()).put("message", text("x").getJsonObject("message"))),
      400, "BAD_REQUEST");

    JsonObject list = ok(get("/api/v1/threads", u4, null));
    assertThat(ids(list.getJsonArray("items"), "threadId")).contains(threadId);
    assertThat(list.getInteger("pageStartIndex")).isZero();
    JsonObject listed = list.getJsonArray("items").stream().map(JsonObject.class::cast)
      .filter(t -> t.getString("threadId").equals(threadId)).findFirst().orElseThrow();
    assertThat(listed.getString("threadToken")).isNotBlank();

    JsonObject paged = ok(get("/api/v1/threads?pageStartIndex=0&pageSize=1", u4, null));
    assertThat(paged.getInteger("pageSize")).isEqualTo(1);
    assertThat(paged.getInteger("totalItems")).isEqualTo(list.getInteger("totalItems"));

    JsonObject read = ok(get("/api/v1/threads/" + threadId, u4, listed.getString("threadToken")));
    assertThat(read.getJsonObject("thread").getString("threadId")).isEqualTo(threadId);
    assertThat(read.getJsonArray("messages")).hasSize(1);
    assertThat(read.getLong("offset")).isZero();
    assertThat(read.getString("epoch")).isNotBlank();
    assertThat(read.containsKey("recovered")).as("no sinceOffset, no recovery fields").isFalse();
    assertThat(read.containsKey("missed")).isFalse();
    assertThat(backend.last("getThread").body()).isEqualTo(new JsonObject()
      .put("user", new JsonObject().put("userId", "u4").put("displayName", "User 4")).put("threadId", threadId));
  }

  @Test
  void sendMessageAndRecoverWithSinceOffset() {
    String token = backend.addThread("t-recover", "u1", "u2").getString("threadToken");
    String u1 = backend.userToken("u1");
    String u2 = backend.userToken("u2");
    JsonObject start = ok(get("/api/v1/threads/t-recover", u2, token));
    long offset = start.getLong("offset");
    String epoch = start.getString("epoch");

    JsonObject first = ok(post("/api/v1/threads/t-recover/messages", u1, token, text("one")));
    assertThat(first.getLong("offset")).isEqualTo(offset + 1);
    assertThat(first.getJsonObject("message").getString("fromUserId")).isEqualTo("u1");
    assertThat(first.getJsonObject("thread").getString("threadId")).isEqualTo("t-recover");
    assertThat(backend.last("addThreadMessage").body().getJsonObject("message"))
      .isEqualTo(text("one").getJsonObject("message"));
    JsonObject second = ok(post("/api/v1/threads/t-recover/messages", u1, token, text("two")));
    assertThat(second.getLong("offset")).isEqualTo(offset + 2);

    JsonObject rec = ok(get("/api/v1/threads/t-recover?sinceOffset=" + offset + "&epoch=" + epoch, u2, token));
    assertThat(rec.getBoolean("recovered")).isTrue();
    assertThat(rec.getLong("offset")).isEqualTo(offset + 2);
    assertThat(rec.getString("epoch")).isEqualTo(epoch);
    JsonArray missed = rec.getJsonArray("missed");
    assertThat(missed).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonObject m = missed.getJsonObject(i);
      JsonObject sent = i == 0 ? first : second;
      assertThat(m.getString("kind")).isEqualTo("message");
      assertThat(m.getString("threadId")).isEqualTo("t-recover");
      assertThat(m.getLong("offset")).isEqualTo(offset + 1 + i);
      assertThat(m.getString("epoch")).isEqualTo(epoch);
      assertThat(m.getJsonObject("message")).isEqualTo(sent.getJsonObject("message"));
    }
    assertThat(rec.getJsonArray("messages")).hasSize(2);

    JsonObject partial = ok(get("/api/v1/threads/t-recover?sinceOffset=" + (offset + 1) + "&epoch=" + epoch, u2, token));
    assertThat(partial.getBoolean("recovered")).isTrue();
    assertThat(partial.getJsonArray("missed")).hasSize(1);
    assertThat(partial.getJsonArray("missed").getJsonObject(0).getLong("offset")).isEqualTo(offset + 2);

    JsonObject upToDate = ok(get("/api/v1/threads/t-recover?sinceOffset=" + (offset + 2) + "&epoch=" + epoch, u2, token));
    assertThat(upToDate.getBoolean("recovered")).isTrue();
    assertThat(upToDate.getJsonArray("missed")).isEmpty();

    JsonObject wrongEpoch = ok(get("/api/v1/threads/t-recover?sinceOffset=" + offset + "&epoch=not-" + epoch, u2, token));
    assertThat(wrongEpoch.getBoolean("recovered")).isFalse();
    assertThat(wrongEpoch.getLong("offset")).isEqualTo(offset + 2);
    assertThat(wrongEpoch.getString("epoch")).isEqualTo(epoch);
    assertThat(wrongEpoch.getJsonArray("missed")).isEmpty();

    error(get("/api/v1/threads/t-recover?sinceOffset=abc&epoch=" + epoch, u2, token), 400, "BAD_REQUEST");
    error(get("/api/v1/threads/t-recover?sinceOffset=-1&epoch=" + epoch, u2, token), 400, "BAD_REQUEST");
  }

  @Test
  void threadTokenMustMatchThePathAndTheCaller() {
    String token = backend.addThread("t-path", "u1", "u2").getString("threadToken");
    backend.addThread("t-other", "u1", "u2");
    String u1 = backend.userToken("u1");
    error(get("/api/v1/threads/t-other", u1, token), 403, "FORBIDDEN");
    error(post("/api/v1/threads/t-other/messages", u1, token, text("x")), 403, "FORBIDDEN");
    error(get("/api/v1/threads/t-path", u1, null), 401, "UNAUTHORIZED");
    error(post("/api/v1/threads/t-path/messages", u1, "garbage", text("x")), 401, "UNAUTHORIZED");
    error(post("/api/v1/threads/t-path/messages", null, token, text("x")), 401, "UNAUTHORIZED");
    error(post("/api/v1/threads/t-path/messages", u1, token, new JsonObject().put("message", new JsonObject().put("type", "text"))),
      400, "BAD_REQUEST");

    // u3 is not among the token's members: refused by ECB, the backend never hears of it.
    String u3 = backend.userToken("u3");
    error(get("/api/v1/threads/t-path", u3, token), 403, "FORBIDDEN");
    error(post("/api/v1/threads/t-path/messages", u3, token, text("intruder")), 403, "FORBIDDEN");
    error(post("/api/v1/threads/t-path/messages", u3, token, new JsonObject()
      .put("message", new JsonObject().put("type", "typing").put("data", true))), 403, "FORBIDDEN");
    assertThat(backend.count("getThread")).isZero();
    assertThat(backend.count("addThreadMessage")).isZero();

    // A member with the right token passes.
    ok(get("/api/v1/threads/t-path", u1, token));
  }

  @Test
  void aRetriedClientMessageIdIsSentOnce() {
    String token = backend.addThread("t-dedup", "u1", "u2").getString("threadToken");
    String u1 = backend.userToken("u1");
    JsonObject body = text("once").put("clientMessageId", "cm-1");
    JsonObject a = ok(post("/api/v1/threads/t-dedup/messages", u1, token, body));
    JsonObject b = ok(post("/api/v1/threads/t-dedup/messages", u1, token, body));
    assertThat(b.getJsonObject("message")).isEqualTo(a.getJsonObject("message"));
    assertThat(b.getLong("offset")).isEqualTo(a.getLong("offset"));
    assertThat(backend.count("addThreadMessage")).isEqualTo(1);
    assertThat(backend.last("addThreadMessage").body().getString("clientMessageId")).isEqualTo("cm-1");

    // Another id is another message.
    JsonObject c = ok(post("/api/v1/threads/t-dedup/messages", u1, token, text("once").put("clientMessageId", "cm-2")));
    assertThat(c.getLong("offset")).isEqualTo(a.getLong("offset") + 1);
    assertThat(c.getJsonObject("message").getString("messageId")).isNotEqualTo(a.getJsonObject("message").getString("messageId"));
    assertThat(backend.count("addThreadMessage")).isEqualTo(2);
    error(post("/api/v1/threads/t-dedup/messages", u1, token, text("x").put("clientMessageId", 5)), 400, "BAD_REQUEST");
  }

  @Test
  void typingIsNotSentToTheBackendAndIsRateLimited() {
    String token = backend.addThread("t-typing", "u1", "u2").getString("threadToken");
    String u1 = backend.userToken("u1");
    JsonObject typing = new JsonObject().put("message", new JsonObject().put("type", "typing").put("data", true));
    JsonObject reply = ok(post("/api/v1/threads/t-typing/messages", u1, token, typing));
    assertThat(reply.getJsonObject("message").getString("type")).isEqualTo("typing");
    assertThat(reply.getJsonObject("message").getValue("data")).isEqualTo(true);
    assertThat(reply.getJsonObject("message").getString("fromUserId")).isEqualTo("u1");
    assertThat(reply.getJsonObject("thread").getString("threadId")).isEqualTo("t-typing");

    error(post("/api/v1/threads/t-typing/messages", u1, token, typing), 429, "RATE_LIMITED");
    error(post("/api/v1/threads/t-typing/messages", u1, token,
      new JsonObject().put("message", new JsonObject().put("type", "typing").put("data", "yes"))), 400, "BAD_REQUEST");
    assertThat(backend.count("addThreadMessage")).isZero();

    // Typing is not stored: the stream's offset did not move.
    JsonObject read = ok(get("/api/v1/threads/t-typing", u1, token));
    assertThat(read.getLong("offset")).isZero();
    // Another member has their own budget.
    ok(post("/api/v1/threads/t-typing/messages", backend.userToken("u2"), token, typing));
  }

  // ---- origins (no allowed origins configured: same origin only)

  @Test
  void foreignOriginsAreRefusedSameOriginAndNoOriginPass() {
    String u1 = backend.userToken("u1");
    HttpResponse<Buffer> foreign = request(HttpMethod.GET, "/api/v1/contacts", u1, null)
      .putHeader("Origin", "https://evil.example").send().await();
    error(foreign, 403, "FORBIDDEN");
    assertThat(foreign.getHeader("Access-Control-Allow-Origin")).isNull();
    HttpResponse<Buffer> foreignPost = request(HttpMethod.POST, "/api/v1/user-token", null, null)
      .putHeader("Origin", "http://127.0.0.1:1").sendJsonObject(new JsonObject().put("accessToken", "access-u1")).await();
    error(foreignPost, 403, "FORBIDDEN");
    assertThat(backend.count("getContacts")).isZero();
    assertThat(backend.count("getUserToken")).isZero();

    ok(request(HttpMethod.GET, "/api/v1/contacts", u1, null)
      .putHeader("Origin", "http://127.0.0.1:" + node.port()).send().await());
    ok(get("/api/v1/contacts", u1, null));
    assertThat(backend.count("getContacts")).isEqualTo(2);
  }
}
