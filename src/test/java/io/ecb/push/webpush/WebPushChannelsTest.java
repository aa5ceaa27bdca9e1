package io.ecb.push.webpush;

import io.ecb.support.BridgeClient;
import io.ecb.support.ClusterTestBase;
import io.ecb.support.SseClient;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The WebPush Channels profile on a two-node cluster, over real HTTP: registrations made on one
 * node, pushes made on either, notifications received on the bridge and on user SSE streams of
 * the other node; Kinto-shaped errors.
 */
@Timeout(60)
class WebPushChannelsTest extends ClusterTestBase {

  private static final String KEY = "webpush-publisher-key";
  private HttpClient client;
  private final List<WebPushChannelsProfile> profiles = new ArrayList<>();
  /** Port of each node's profile server. */
  private final List<Integer> ports = new ArrayList<>();

  @Override
  protected void configure(int index, JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
    config.getJsonObject("channels").put("publisherUserIds", new JsonArray().add("boss"))
      .put("public", new JsonArray().add("open-news"));
  }

  @BeforeAll
  void start() {
    client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(50));
    for (TestNode n : nodes) {
      profiles.add(n.node.webPush());
      ports.add(n.port());
    }
  }

  // ---- helpers

  private String token(String userId) {
    return backend.userToken(userId);
  }

  private HttpRequest<Buffer> req(HttpMethod method, int node, String path, String bearer) {
    HttpRequest<Buffer> r = http.request(method, ports.get(node), "127.0.0.1", path);
    if (bearer != null) r.putHeader("Authorization", "Bearer " + bearer);
    return r;
  }

  /** Registers {@code userId} with a userToken whose channels claim names the channel. */
  private HttpResponse<Buffer> register(int node, String channel, String userId) {
    String allowed = backend.userToken(userId, new JsonArray().add("other").add(channel));
    return req(HttpMethod.PUT, node, "/v0/channels/" + channel + "/registration", allowed).send().await();
  }

  private HttpResponse<Buffer> unregister(int node, String channel, String userId) {
    return req(HttpMethod.DELETE, node, "/v0/channels/" + channel + "/registration", token(userId)).send().await();
  }

  private HttpResponse<Buffer> push(int node, String channel, String bearer, JsonObject body) {
    return req(HttpMethod.POST, node, "/v0/channels/" + channel, bearer).sendJsonObject(body).await();
  }

  private HttpResponse<Buffer> info(int node, String channel, String bearer) {
    return req(HttpMethod.GET, node, "/v0/channels/" + channel, bearer).send().await();
  }

  private static final JsonObject ACCEPTED = new JsonObject().put("code", 202).put("message", "Accepted");

  private static void assertAccepted(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    assertThat(r.bodyAsJsonObject()).isEqualTo(ACCEPTED);
  }

  private static void assertKinto(HttpResponse<Buffer> r, int code, int errno, String error) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(code);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getInteger("code")).isEqualTo(code);
    assertThat(body.getInteger("errno")).isEqualTo(errno);
    assertThat(body.getString("error")).isEqualTo(error);
    assertThat(body.getString("message")).isNotBlank();
  }

  private BridgeClient userSocket(int node, String userId) {
    BridgeClient c = BridgeClient.connect(vertx, nodes.get(node).port()).await();
    c.register("ecb.user." + userId, new JsonObject().put("userToken", token(userId))).await();
    return c;
  }

  private JsonObject nextOnUser(BridgeClient c, String userId) {
    return c.next("ecb.user." + userId).await().getJsonObject("body");
  }

  /** A user SSE stream ({@code GET /api/v1/events?user=true}) on a node's own HTTP port. */
  private SseClient userStream(int node, String userId) {
    SseClient sse = SseClient.open(client, new RequestOptions().setPort(nodes.get(node).port()).setHost("127.0.0.1")
      .setURI("/api/v1/events?user=true&access_token=" + token(userId))).await();
    assertThat(sse.status).isEqualTo(200);
    // The first comment means the stream is subscribed cluster-wide.
    assertThat(sse.next().comment()).isEqualTo("ok");
    return sse;
  }

  // ---- tests

  @Test
  void aPushReachesEveryRegisteredUserOnTheOtherNodeOverBridgeAndSse() {
    assertAccepted(register(0, "formbuilder-collections-update", "u1"));
    assertAccepted(register(1, "formbuilder-collections-update", "u2"));
    BridgeClient u1 = userSocket(1, "u1");
    SseClient u2 = userStream(0, "u2");
    BridgeClient u3 = userSocket(1, "u3"); // not registered

    JsonObject data = new JsonObject().put("collection", "forms").put("n", 3);
    assertAccepted(push(0, "formbuilder-collections-update", KEY, new JsonObject().put("data", data)));

    JsonObject got = nextOnUser(u1, "u1");
    assertThat(got.getString("kind")).isEqualTo("notification");
    assertThat(got.getString("channel")).isEqualTo("formbuilder-collections-update");
    assertThat(got.getJsonObject("data")).isEqualTo(data);
    String messageId = got.getString("messageId");
    assertThat(messageId).isNotBlank();
    JsonObject overSse = new JsonObject(u2.next().data());
    assertThat(overSse.getString("kind")).isEqualTo("notification");
    assertThat(overSse.getString("channel")).isEqualTo("formbuilder-collections-update");
    assertThat(overSse.getJsonObject("data")).isEqualTo(data);
    assertThat(overSse.getString("messageId")).isEqualTo(messageId);

    // u3 got nothing: the first thing it receives is a push on a channel it did register to.
    assertAccepted(register(0, "u3-only", "u3"));
    assertAccepted(push(1, "u3-only", KEY, new JsonObject().put("data", "for u3")));
    JsonObject u3got = nextOnUser(u3, "u3");
    assertThat(u3got.getString("channel")).isEqualTo("u3-only");
    assertThat(u3got.getString("data")).isEqualTo("for u3");

    // Counts are cluster-wide: read through the other node.
    HttpResponse<Buffer> stats = info(1, "formbuilder-collections-update", KEY);
    assertThat(stats.statusCode()).isEqualTo(200);
    assertThat(stats.bodyAsJsonObject()).isEqualTo(new JsonObject().put("data", new JsonObject()
      .put("id", "formbuilder-collections-update").put("registrations", 2).put("push", 2)));
    u1.close().await();
    u3.close().await();
    u2.close();
  }

  @Test
  void registrationIsIdempotentAndDeleteStopsDelivery() {
    assertAccepted(register(0, "chan-del", "u4"));
    assertAccepted(register(1, "chan-del", "u4"));
    assertThat(info(0, "chan-del", KEY).bodyAsJsonObject().getJsonObject("data").getInteger("registrations")).isEqualTo(1);
    // A registered user may read the channel's counts.
    HttpResponse<Buffer> asUser = info(1, "chan-del", token("u4"));
    assertThat(asUser.statusCode()).isEqualTo(200);
    assertThat(asUser.bodyAsJsonObject().getJsonObject("data").getString("id")).isEqualTo("chan-del");

    BridgeClient u4 = userSocket(0, "u4");
    assertAccepted(unregister(1, "chan-del", "u4"));
    assertAccepted(unregister(0, "chan-del", "u4")); // again: still 202
    assertAccepted(unregister(0, "chan-del", "u5")); // never registered: 202
    assertThat(info(0, "chan-del", KEY).bodyAsJsonObject()).isEqualTo(new JsonObject().put("data", new JsonObject()
      .put("id", "chan-del").put("registrations", 0).put("push", 0)));

    // A push with no registrations is accepted and reaches nobody.
    assertAccepted(push(0, "chan-del", KEY, new JsonObject().put("data", "lost")));
    assertAccepted(register(1, "chan-after", "u4"));
    assertAccepted(push(1, "chan-after", KEY, new JsonObject().put("data", "kept")));
    JsonObject got = nextOnUser(u4, "u4");
    assertThat(got.getString("channel")).isEqualTo("chan-after");
    assertThat(got.getString("data")).isEqualTo("kept");
    // No longer registered: the user may not read the counts.
    assertKinto(info(0, "chan-del", token("u4")), 403, 121, "Forbidden");
    u4.close().await();
  }

  @Test
  void aUserNamedInPublisherUserIdsMayPushWithAUserTokenOthersMayNot() {
    assertAccepted(register(1, "team", "u2"));
    BridgeClient u2 = userSocket(0, "u2");
    assertKinto(push(0, "team", token("u1"), new JsonObject().put("data", 1)), 403, 121, "Forbidden");
    assertAccepted(push(0, "team", token("boss"), new JsonObject().put("data", 2)));
    // No body at all: accepted, pushed without data.
    HttpResponse<Buffer> noBody = req(HttpMethod.POST, 1, "/v0/channels/team", KEY).send().await();
    assertAccepted(noBody);
    JsonObject first = nextOnUser(u2, "u2");
    assertThat(first.getInteger("data")).isEqualTo(2);
    JsonObject second = nextOnUser(u2, "u2");
    assertThat(second.getString("channel")).isEqualTo("team");
    assertThat(second.containsKey("data")).isTrue();
    assertThat(second.getValue("data")).isNull();
    assertThat(second.getString("messageId")).isNotEqualTo(first.getString("messageId"));
    // The publisher user may also read the counts without being registered.
    assertThat(info(0, "team", token("boss")).bodyAsJsonObject().getJsonObject("data").getInteger("push")).isEqualTo(2);
    u2.close().await();
  }

  @Test
  void aUserRegistersOnlyToChannelsItsTokenOrTheConfigNames() {
    BridgeClient u6 = userSocket(0, "u6");
    // No channels claim, and a claim that names other channels: 403, nothing registered.
    assertKinto(req(HttpMethod.PUT, 1, "/v0/channels/secret-ch/registration", token("u6")).send().await(),
      403, 121, "Forbidden");
    String others = backend.userToken("u6", new JsonArray().add("secret").add("secret-ch2"));
    assertKinto(req(HttpMethod.PUT, 0, "/v0/channels/secret-ch/registration", others).send().await(),
      403, 121, "Forbidden");
    assertThat(info(0, "secret-ch", KEY).bodyAsJsonObject().getJsonObject("data").getInteger("registrations")).isZero();
    assertAccepted(push(0, "secret-ch", KEY, new JsonObject().put("data", "not for u6")));

    // A channel in channels.public needs no claim; leaving needs none either.
    assertAccepted(req(HttpMethod.PUT, 1, "/v0/channels/open-news/registration", token("u6")).send().await());
    assertAccepted(push(1, "open-news", KEY, new JsonObject().put("data", "news")));
    JsonObject got = nextOnUser(u6, "u6");
    assertThat(got.getString("channel")).isEqualTo("open-news");
    assertThat(got.getString("data")).isEqualTo("news");
    assertAccepted(req(HttpMethod.DELETE, 0, "/v0/channels/open-news/registration", token("u6")).send().await());
    assertAccepted(req(HttpMethod.DELETE, 0, "/v0/channels/secret-ch/registration", token("u6")).send().await());
    assertThat(u6.pending("ecb.user.u6")).isZero();
    u6.close().await();
  }

  @Test
  void missingOrBadCredentialsAre401() {
    for (HttpResponse<Buffer> r : List.of(
      req(HttpMethod.PUT, 0, "/v0/channels/c1/registration", null).send().await(),
      req(HttpMethod.DELETE, 0, "/v0/channels/c1/registration", null).send().await(),
      req(HttpMethod.PUT, 0, "/v0/channels/c1/registration", "not-a-jwt").send().await(),
      req(HttpMethod.PUT, 0, "/v0/channels/c1/registration", KEY).send().await(), // an API key is not a user
      req(HttpMethod.GET, 0, "/v0/channels/c1", null).send().await(),
      req(HttpMethod.GET, 0, "/v0/channels/c1", "wrong-key").send().await(),
      push(0, "c1", null, new JsonObject().put("data", 1)),
      push(0, "c1", "wrong-key", new JsonObject().put("data", 1)))) {
      assertKinto(r, 401, 104, "Unauthorized");
    }
    // A signed token that has expired is refused too.
    String expired = TestKeys.rsa().sign(vertx, new JsonObject().put("userId", "u1").put("displayName", "u1"), -120);
    assertKinto(req(HttpMethod.PUT, 1, "/v0/channels/c1/registration", expired).send().await(), 401, 104, "Unauthorized");
  }

  @Test
  void invalidParametersAre400AndUnknownResources404() {
    for (Buffer body : List.of(Buffer.buffer("{not json"), Buffer.buffer("[1,2]"), Buffer.buffer("\"data\""),
      new JsonObject().put("data", 1).put("extra", true).toBuffer())) {
      HttpResponse<Buffer> r = req(HttpMethod.POST, 0, "/v0/channels/c2", KEY).putHeader("Content-Type", "application/json")
        .sendBuffer(body).await();
      assertKinto(r, 400, 107, "Invalid parameters");
    }
    // A channel id outside the accepted characters.
    assertKinto(req(HttpMethod.PUT, 0, "/v0/channels/bad%20id/registration", token("u1")).send().await(), 400, 107, "Invalid parameters");
    assertKinto(push(1, "x".repeat(256), KEY, new JsonObject()), 400, 107, "Invalid parameters");
    assertKinto(req(HttpMethod.GET, 0, "/v0/nothing-here", KEY).send().await(), 404, 111, "Not Found");
    assertKinto(req(HttpMethod.GET, 0, "/v0/channels/c2/registration/extra", KEY).send().await(), 404, 111, "Not Found");
    assertKinto(req(HttpMethod.PATCH, 0, "/v0/channels/c2", KEY).send().await(), 405, 115, "Method Not Allowed");
    assertKinto(req(HttpMethod.GET, 0, "/v0/channels/c2/registration", KEY).send().await(), 405, 115, "Method Not Allowed");
  }
}
