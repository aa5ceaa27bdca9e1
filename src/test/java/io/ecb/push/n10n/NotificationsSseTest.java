package io.ecb.push.n10n;

import io.ecb.support.ClusterTestBase;
import io.ecb.support.SseClient;
import io.ecb.support.TestNode;
import io.vertx.core.Future;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Voedger-style notifications over SSE on a two-node cluster, over real HTTP: channels opened
 * with POST, updates published through the native publish API, subscriptions changed with PUT and
 * DELETE through either node, heartbeats, expiry, errors and quotas.
 */
@Timeout(90)
class NotificationsSseTest extends ClusterTestBase {

  private static final String KEY = "n10n-publisher-key";
  private static final String APP = "acme/shop";
  private static final String BASE = "/api/v2/apps/acme/shop/notifications";
  private HttpClient client;
  private final List<NotificationsSseProfile> profiles = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  @Override
  protected void configure(int index, JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
    config.getJsonObject("push").getJsonObject("n10n")
      .put("heartbeatSeconds", 1)
      .put("channelsPerUser", 3)
      .put("subscriptionsPerUser", 4)
      .put("channelsPerNode", index == 1 ? 2 : 10_000);
  }

  @BeforeAll
  void start() {
    client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(50));
    for (TestNode n : nodes) {
      profiles.add(n.node.n10n());
      ports.add(n.port());
    }
  }

  // ---- helpers

  private String token(String userId, String... entities) {
    JsonArray channels = new JsonArray();
    for (String e : entities) channels.add(APP + "/" + e);
    return backend.userToken(userId, channels);
  }

  private static JsonObject sub(String entity, Object wsid) {
    return new JsonObject().put("entity", entity).put("wsid", wsid);
  }

  private static JsonObject body(JsonObject... subs) {
    return new JsonObject().put("subscriptions", new JsonArray(List.of((Object[]) subs)));
  }

  /** Opens a channel; on 200 checks the first event and returns the stream with its channelId. */
  private Sse open(int node, String token, JsonObject body) {
    Sse sse = Sse.open(client, ports.get(node), BASE, token, body.toBuffer()).await();
    if (sse.status == 200) {
      assertThat(sse.contentType).startsWith("text/event-stream");
      Sse.Event first = sse.next();
      assertThat(first.event()).isEqualTo("channelID");
      assertThat(first.data()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
      sse.channelId = first.data();
    }
    return sse;
  }

  private HttpResponse<Buffer> publish(int node, String entity, long wsid, long offset) {
    HttpResponse<Buffer> r = http.post(nodes.get(node).port(), "127.0.0.1", "/api/v1/publish")
      .putHeader("Authorization", "Bearer " + KEY)
      .sendJsonObject(new JsonObject().put("channel", APP + "/" + entity + "@" + wsid).put("event", "update")
        .put("data", new JsonObject().put("offset", offset)))
      .await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    return r;
  }

  private HttpRequest<Buffer> subscription(HttpMethod method, int node, String channelId, Object wsid, String entity, String token) {
    HttpRequest<Buffer> r = http.request(method, ports.get(node), "127.0.0.1",
      BASE + "/" + channelId + "/workspaces/" + wsid + "/subscriptions/" + entity);
    if (token != null) r.putHeader("Authorization", "Bearer " + token);
    return r;
  }

  private static JsonObject update(String item, long wsid, long offset) {
    return new JsonObject().put("app", APP).put("item", item).put("wsid", wsid).put("offset", offset);
  }

  /** The update {@code e} carries, asserting it is one. */
  private static JsonObject updateOf(Sse.Event e) {
    assertThat(e.event()).isEqualTo("update");
    return new JsonObject(e.data());
  }

  private static void assertUpdate(Sse.Event e, String item, long wsid, long offset) {
    assertThat(updateOf(e)).isEqualTo(update(item, wsid, offset));
  }

  /**
   * The next events are updates of different streams, in any order: order is kept within a
   * stream, not between streams (those published through different nodes, or on different
   * partitions, reach a channel by different paths).
   */
  private static void assertUpdates(Sse sse, JsonObject... updates) {
    List<JsonObject> got = new ArrayList<>();
    for (int i = 0; i < updates.length; i++) got.add(updateOf(sse.next()));
    assertThat(got).containsExactlyInAnyOrder(updates);
  }

  private static void assertError(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getInteger("status")).isEqualTo(status);
    assertThat(body.getString("message")).isNotBlank();
  }

  private static void assertError(Sse sse, int status) {
    assertThat(sse.status).as(sse.errorBody == null ? "" : sse.errorBody.toString()).isEqualTo(status);
    JsonObject body = sse.errorBody.toJsonObject();
    assertThat(body.getInteger("status")).isEqualTo(status);
    assertThat(body.getString("message")).isNotBlank();
  }

  private void awaitChannels(int node, int count) {
    long deadline = System.currentTimeMillis() + 10_000;
    while (profiles.get(node).channelCount() != count) {
      assertThat(System.currentTimeMillis()).as("node " + node + " reaches " + count + " channels").isLessThan(deadline);
      vertx.timer(50).await();
    }
  }

  // ---- tests

  @Test
  void aChannelReceivesUpdatesOfItsViewsOnly() {
    Sse sse = open(0, token("u1", "pkg.Orders"), body(sub("pkg.Orders", 100)));
    publish(0, "pkg.Orders", 100, 7);
    assertUpdate(sse.next(), "pkg.Orders", 100, 7);
    publish(1, "pkg.Orders", 101, 99); // another workspace: not subscribed
    publish(0, "pkg.Other", 100, 98); // another view: not subscribed
    publish(1, "pkg.Orders", 100, 8);
    assertUpdate(sse.next(), "pkg.Orders", 100, 8);
    sse.close();
  }

  @Test
  void heartbeatsArriveOncePerTickWhateverTheWorkspaces() {
    // sys.Heartbeat30 needs no grant; naming it in two workspaces still means one heartbeat.
    Sse sse = open(0, token("u2"), body(sub("sys.Heartbeat30", 1), sub("sys.Heartbeat30", 2)));
    Sse.Event a = sse.next();
    Sse.Event b = sse.next();
    Sse.Event c = sse.next();
    long previous = -1;
    for (Sse.Event e : List.of(a, b, c)) {
      assertThat(e.event()).isEqualTo("update");
      JsonObject d = new JsonObject(e.data());
      assertThat(d.getString("app")).isEqualTo(APP);
      assertThat(d.getString("item")).isEqualTo(".");
      assertThat(d.getLong("wsid")).isEqualTo(0);
      // Two heartbeats per tick would repeat an offset.
      assertThat(d.getLong("offset")).isGreaterThan(previous);
      previous = d.getLong("offset");
    }
    sse.close();
  }

  @Test
  void aChannelEndsWhenItExpires() {
    awaitChannels(1, 0);
    long t0 = System.currentTimeMillis();
    Sse a = open(0, token("u3", "pkg.Orders"), body(sub("pkg.Orders", 5)).put("expiresIn", 2));
    Sse b = open(1, token("u3", "pkg.Orders"), body(sub("pkg.Orders", 5)).put("expiresInSeconds", 2));
    a.ended.orTimeout(15, TimeUnit.SECONDS).join();
    b.ended.orTimeout(15, TimeUnit.SECONDS).join();
    assertThat(System.currentTimeMillis() - t0).isGreaterThanOrEqualTo(1_900);
    // A channel that is gone cannot be changed.
    assertError(subscription(HttpMethod.PUT, 0, a.channelId, 5, "pkg.Orders", token("u3", "pkg.Orders")).send().await(), 404);
    assertError(subscription(HttpMethod.DELETE, 1, b.channelId, 5, "pkg.Orders", token("u3", "pkg.Orders")).send().await(), 404);
  }

  @Test
  void subscriptionsChangeOnALiveChannel() {
    String t = token("u4", "pkg.Orders", "pkg.Items");
    Sse sse = open(0, t, body(sub("pkg.Orders", 100)));
    HttpResponse<Buffer> put = subscription(HttpMethod.PUT, 0, sse.channelId, 200, "pkg.Items", t).send().await();
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    assertThat(subscription(HttpMethod.PUT, 0, sse.channelId, 200, "pkg.Items", t).send().await().statusCode()).isEqualTo(200);
    publish(0, "pkg.Items", 200, 3);
    assertUpdate(sse.next(), "pkg.Items", 200, 3);

    assertThat(subscription(HttpMethod.DELETE, 0, sse.channelId, 200, "pkg.Items", t).send().await().statusCode()).isEqualTo(204);
    assertThat(subscription(HttpMethod.DELETE, 0, sse.channelId, 200, "pkg.Items", t).send().await().statusCode()).isEqualTo(204);
    assertThat(subscription(HttpMethod.DELETE, 0, sse.channelId, 999, "pkg.Never", t).send().await().statusCode()).isEqualTo(204);
    publish(0, "pkg.Items", 200, 4);
    publish(0, "pkg.Orders", 100, 11);
    assertUpdate(sse.next(), "pkg.Orders", 100, 11); // nothing from pkg.Items in between

    // The heartbeat can be added to a live channel too.
    assertThat(subscription(HttpMethod.PUT, 0, sse.channelId, 1, "sys.Heartbeat30", t).send().await().statusCode()).isEqualTo(200);
    Sse.Event hb = sse.next();
    assertThat(new JsonObject(hb.data()).getString("item")).isEqualTo(".");

    // Errors on PUT/DELETE.
    assertError(subscription(HttpMethod.PUT, 0, sse.channelId, 200, "pkg.Items", t).sendJsonObject(new JsonObject()).await(), 400);
    assertError(subscription(HttpMethod.PUT, 0, sse.channelId, "abc", "pkg.Items", t).send().await(), 400);
    assertError(subscription(HttpMethod.PUT, 0, sse.channelId, 200, "notAQName", t).send().await(), 400);
    assertError(subscription(HttpMethod.PUT, 0, sse.channelId, 200, "pkg.Secret", t).send().await(), 403);
    assertError(subscription(HttpMethod.PUT, 0, sse.channelId, 200, "pkg.Items", null).send().await(), 401);
    assertError(subscription(HttpMethod.DELETE, 0, sse.channelId, 200, "pkg.Items", "garbage").send().await(), 401);
    String unknown = "00000000-0000-4000-8000-000000000000";
    assertError(subscription(HttpMethod.PUT, 0, unknown, 200, "pkg.Items", t).send().await(), 404);
    assertError(subscription(HttpMethod.DELETE, 1, unknown, 200, "pkg.Items", t).send().await(), 404);
    // Another user's channel is not found for them.
    assertError(subscription(HttpMethod.PUT, 0, sse.channelId, 200, "pkg.Items", token("u5", "pkg.Items")).send().await(), 404);
    sse.close();
  }

  @Test
  void subscriptionsChangeThroughOneNodeForAChannelOnTheOther() {
    String t = token("u6", "pkg.Orders", "pkg.Items");
    awaitChannels(1, 0);
    Sse sse = open(1, t, body(sub("pkg.Orders", 100)));
    assertThat(profiles.get(1).channelCount()).isEqualTo(1);
    HttpResponse<Buffer> put = subscription(HttpMethod.PUT, 0, sse.channelId, 300, "pkg.Items", t).send().await();
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    publish(0, "pkg.Items", 300, 21);
    assertUpdate(sse.next(), "pkg.Items", 300, 21);
    publish(0, "pkg.Orders", 100, 22);
    assertUpdate(sse.next(), "pkg.Orders", 100, 22);
    assertThat(subscription(HttpMethod.DELETE, 0, sse.channelId, 300, "pkg.Items", t).send().await().statusCode()).isEqualTo(204);
    publish(0, "pkg.Items", 300, 23);
    publish(1, "pkg.Orders", 100, 24);
    assertUpdate(sse.next(), "pkg.Orders", 100, 24);
    sse.close();
    awaitChannels(1, 0);
  }

  /**
   * Opening a channel and changing its subscriptions each go on after a Hazelcast call; a channel
   * refuses to be touched off its connection's event loop (it fails the request instead), so a
   * continuation left on a Hazelcast thread shows here as a 500 instead of a channel. Two channels
   * on one node follow the same streams, on whichever event loops their connections got.
   */
  @Test
  void workAfterAHazelcastCallRunsOnTheChannelsEventLoop() {
    String ta = token("loop-a", "pkg.Loop", "pkg.Other");
    String tb = token("loop-b", "pkg.Loop", "pkg.Other");
    Sse a = open(0, ta, body(sub("pkg.Loop", 7)));
    assertThat(a.status).as(a.errorBody == null ? "" : a.errorBody.toString()).isEqualTo(200);
    Sse b = open(0, tb, body(sub("pkg.Loop", 7)));
    assertThat(b.status).as(b.errorBody == null ? "" : b.errorBody.toString()).isEqualTo(200);

    HttpResponse<Buffer> forwarded = subscription(HttpMethod.PUT, 1, a.channelId, 7, "pkg.Other", ta).send().await();
    assertThat(forwarded.statusCode()).as(forwarded.bodyAsString()).isEqualTo(200);
    HttpResponse<Buffer> local = subscription(HttpMethod.PUT, 0, b.channelId, 7, "pkg.Other", tb).send().await();
    assertThat(local.statusCode()).as(local.bodyAsString()).isEqualTo(200);
    publish(0, "pkg.Loop", 7, 1);
    publish(1, "pkg.Other", 7, 2);
    for (Sse sse : List.of(a, b)) assertUpdates(sse, update("pkg.Loop", 7, 1), update("pkg.Other", 7, 2));

    HttpResponse<Buffer> removed = subscription(HttpMethod.DELETE, 1, a.channelId, 7, "pkg.Loop", ta).send().await();
    assertThat(removed.statusCode()).as(removed.bodyAsString()).isEqualTo(204);
    publish(0, "pkg.Loop", 7, 3);
    publish(0, "pkg.Other", 7, 4);
    assertUpdates(b, update("pkg.Loop", 7, 3), update("pkg.Other", 7, 4));
    assertUpdate(a.next(), "pkg.Other", 7, 4); // nothing from pkg.Loop since the DELETE
    a.close();
    b.close();
  }

  @Test
  void badRequestsToOpenAChannelAreRefused() {
    String t = token("u7", "pkg.Orders");
    assertError(open(0, null, body(sub("pkg.Orders", 1))), 401);
    assertError(open(0, "not-a-token", body(sub("pkg.Orders", 1))), 401);
    assertError(open(0, t, body(sub("pkg.Secret", 1))), 403);
    assertError(open(0, t, body(sub("pkg.Orders", 1), sub("pkg.Secret", 1))), 403);
    for (JsonObject bad : List.of(
      new JsonObject(),
      body(),
      body(new JsonObject().put("wsid", 1)),
      body(new JsonObject().put("entity", "pkg.Orders")),
      body(sub("pkg.Orders", "x")),
      body(sub("pkg.Orders", -1)),
      body(sub("pkg.Orders", 1.5)),
      body(sub("NoQName", 1)),
      body(sub("pkg.Orders", 1)).put("expiresIn", -1),
      body(sub("pkg.Orders", 1)).put("expiresIn", "soon"),
      body(sub("pkg.Orders", 1)).put("unknown", true))) {
      assertError(open(0, t, bad), 400);
    }
    Sse notJson = Sse.open(client, ports.get(0), BASE, t, Buffer.buffer("{oops")).await();
    assertError(notJson, 400);
    Sse array = Sse.open(client, ports.get(0), BASE, t, Buffer.buffer("[]")).await();
    assertError(array, 400);
  }

  @Test
  void channelsPerUserAreLimitedClusterWide() {
    String t = token("q1");
    JsonObject hb = body(sub("sys.Heartbeat30", 0));
    awaitChannels(1, 0);
    Sse a = open(0, t, hb);
    Sse b = open(1, t, hb);
    Sse c = open(0, t, hb);
    Sse refused = open(0, t, hb);
    assertError(refused, 429);
    assertThat(refused.errorBody.toJsonObject().getString("message")).contains("channels per subject");
    assertError(open(1, t, hb), 429);
    // Once one channel closes, the user may open another.
    b.close();
    awaitChannels(1, 0);
    Sse d = open(1, t, hb);
    assertThat(d.status).isEqualTo(200);
    for (Sse s : List.of(a, c, d)) s.close();
    awaitChannels(1, 0);
  }

  @Test
  void subscriptionsPerUserAreLimitedClusterWide() {
    String t = token("q2", "pkg.A", "pkg.B");
    awaitChannels(1, 0);
    Sse a = open(0, t, body(sub("pkg.A", 1), sub("pkg.A", 2), sub("pkg.A", 3)));
    assertError(open(1, t, body(sub("pkg.B", 1), sub("pkg.B", 2))), 429);
    Sse b = open(1, t, body(sub("pkg.B", 1))); // 4 of 4
    assertThat(b.status).isEqualTo(200);
    HttpResponse<Buffer> more = subscription(HttpMethod.PUT, 0, b.channelId, 9, "pkg.B", t).send().await();
    assertError(more, 429);
    // Re-subscribing what is already there is no new subscription.
    assertThat(subscription(HttpMethod.PUT, 0, a.channelId, 1, "pkg.A", t).send().await().statusCode()).isEqualTo(200);
    // Freeing one makes room.
    assertThat(subscription(HttpMethod.DELETE, 1, a.channelId, 3, "pkg.A", t).send().await().statusCode()).isEqualTo(204);
    assertThat(subscription(HttpMethod.PUT, 0, b.channelId, 9, "pkg.B", t).send().await().statusCode()).isEqualTo(200);
    a.close();
    b.close();
    awaitChannels(1, 0);
  }

  @Test
  void channelsPerNodeAreLimited() {
    awaitChannels(1, 0);
    JsonObject hb = body(sub("sys.Heartbeat30", 0));
    Sse a = open(1, token("n1"), hb);
    Sse b = open(1, token("n2"), hb);
    Sse c = open(1, token("n3"), hb);
    assertError(c, 429);
    assertThat(c.errorBody.toJsonObject().getString("message")).contains("number of channels");
    // The other node has room.
    Sse d = open(0, token("n3"), hb);
    assertThat(d.status).isEqualTo(200);
    a.close();
    awaitChannels(1, 1);
    Sse e = open(1, token("n3"), hb);
    assertThat(e.status).isEqualTo(200);
    for (Sse s : List.of(b, d, e)) s.close();
    awaitChannels(1, 0);
  }

  // ---- a minimal SSE client for POST-opened streams

  /** A notifications stream: the tests' SSE client keeping events (not bare comments), and the channelId its first event names. */
  static final class Sse extends SseClient {
    String channelId;

    Sse() {
      super(e -> e.event() != null || e.data() != null);
    }

    static Future<Sse> open(HttpClient client, int port, String uri, String token, Buffer body) {
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setPort(port).setHost("127.0.0.1").setURI(uri)
        .putHeader("Content-Type", "application/json");
      if (token != null) options.putHeader("Authorization", "Bearer " + token);
      return SseClient.open(client, options, body, new Sse());
    }
  }
}
