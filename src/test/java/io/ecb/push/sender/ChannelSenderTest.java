package io.ecb.push.sender;

import io.ecb.cluster.ClusterSecrets;
import io.ecb.support.ClusterTestBase;
import io.ecb.support.SseClient;
import io.ecb.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.ecb.support.Conditions.within;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The Channel Sender profile on a two-node cluster, driven by clients written to the protocol
 * (REST with WebClient, the WebSocket with Vert.x's WebSocket client sending text frames, SSE with
 * a plain HTTP client). Each node serves the profile on its own small HTTP server.
 */
@Timeout(90)
class ChannelSenderTest extends ClusterTestBase {

  private static final String KEY = "sender-publisher-key";
  private WebSocketClient wsClient;
  private HttpClient httpClient;
  private final List<ChannelSenderProfile> profiles = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  @Override
  protected void configure(int index, JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
    config.getJsonObject("push").getJsonObject("channelSender").put("authTimeoutSeconds", 2);
  }

  @BeforeAll
  void start() {
    wsClient = vertx.createWebSocketClient();
    httpClient = vertx.createHttpClient();
    for (TestNode n : nodes) {
      profiles.add(n.node.channelSender());
      ports.add(n.port());
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private HttpResponse<Buffer> post(int node, String path, JsonObject body) {
    return within(http.post(ports.get(node), "127.0.0.1", path).putHeader("Authorization", "Bearer " + KEY).sendJsonObject(body),
      "POST " + path + " on node " + node);
  }

  /** {@code {channel_ref, channel_secret}} of a new channel created through {@code node}. */
  private JsonObject create(int node, String app, String user) {
    HttpResponse<Buffer> r = post(node, "/ext/channel/create", new JsonObject().put("application_ref", app).put("user_ref", user));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  /** A deliver_message body (also SenderResyncTest's). */
  static JsonObject message(String ref, String mid, Object data) {
    return new JsonObject().put("message_id", mid).put("correlation_id", "c-" + mid).put("event_name", "event.test")
      .put("message_data", data).put("channel_ref", ref);
  }

  private void deliver(int node, JsonObject message) {
    HttpResponse<Buffer> r = post(node, "/ext/channel/deliver_message", message);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("result", "Ok"));
  }

  /** A protocol client: text frames in an inbox, the close status and reason once closed. */
  static final class Client {
    final WebSocket ws;
    private final Deque<String> frames = new ArrayDeque<>();
    private final Deque<Promise<String>> waiters = new ArrayDeque<>();
    final Promise<String> closed = Promise.promise();

    Client(WebSocket ws) {
      this.ws = ws;
      if (ws == null) return; // an inbox only (SSE)
      ws.textMessageHandler(this::push);
      ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode() + "/" + ws.closeReason()));
    }

    private synchronized void push(String frame) {
      Promise<String> w = waiters.poll();
      if (w != null) w.complete(frame);
      else frames.add(frame);
    }

    private synchronized Future<String> nextFuture() {
      String f = frames.poll();
      if (f != null) return Future.succeededFuture(f);
      Promise<String> p = Promise.promise();
      waiters.add(p);
      return p.future();
    }

    /** The next frame, waiting at most 5 s. */
    String next() {
      try {
        return nextFuture().await(5, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("no frame within 5 s");
      }
    }

    JsonArray nextArray() {
      return new JsonArray(next());
    }

    /** Frames that arrive within {@code ms} (for "nothing more arrives" checks only). */
    List<String> drain(long ms) throws InterruptedException {
      Thread.sleep(ms);
      synchronized (this) {
        List<String> all = new ArrayList<>(frames);
        frames.clear();
        return all;
      }
    }

    void send(String text) {
      within(ws.writeTextMessage(text), "sending " + text);
    }

    /** Close code and reason, e.g. "1001/3009". */
    String closeReason() {
      try {
        return closed.future().await(5, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("not closed within 5 s");
      }
    }
  }

  private Client connect(int node, String ref) {
    return new Client(within(wsClient.connect(ports.get(node), "127.0.0.1", "/ext/socket?channel=" + ref), "WebSocket connect to node " + node));
  }

  /** Connects and authenticates; asserts the AuthOk frame. */
  private Client authenticated(int node, JsonObject channel) {
    Client c = connect(node, channel.getString("channel_ref"));
    c.send("Auth::" + channel.getString("channel_secret"));
    assertThat(c.nextArray()).isEqualTo(new JsonArray().add("").add("").add("AuthOk").add(""));
    return c;
  }

  private static JsonArray frame(String mid, String cid, Object data) {
    return new JsonArray().add(mid).add(cid).add("event.test").add(data);
  }

  // ---- tests ---------------------------------------------------------------------------------

  @Test
  void createConnectAuthDeliverAckAndHeartbeat() throws Exception {
    JsonObject ch = create(0, "app01", "jhon.doe");
    String ref = ch.getString("channel_ref");
    assertThat(ref).matches("[0-9a-f]{32}");
    String secret = ch.getString("channel_secret");
    long validUntil = Long.parseLong(secret.substring(0, secret.indexOf(':')));
    assertThat(validUntil).isBetween(System.currentTimeMillis() + 890_000, System.currentTimeMillis() + 901_000);
    assertThat(secret.substring(secret.indexOf(':') + 1)).startsWith("SFMyNTY.");

    Client c = authenticated(0, ch);
    c.send("hb::7");
    assertThat(c.nextArray()).isEqualTo(new JsonArray().add("").add("7").add(":hb").add(""));

    deliver(0, message(ref, "m1", new JsonObject().put("id", 1)));
    assertThat(c.nextArray()).isEqualTo(frame("m1", "c-m1", new JsonObject().put("id", 1)));
    c.send("Ack::m1");
    // A null correlation_id becomes "", and the data may be any JSON value.
    deliver(0, message(ref, "m2", "text").put("correlation_id", (Object) null));
    assertThat(c.nextArray()).isEqualTo(frame("m2", "", "text"));
    c.send("Ack::m2");
    // Acked: neither is redelivered (the first redelivery would come after about 1 s).
    assertThat(c.drain(1600)).isEmpty();
    c.ws.close().await();
  }

  @Test
  void anUnackedMessageIsRedeliveredWithBackoffUntilAcked() throws Exception {
    JsonObject ch = create(0, "app01", "u-redeliver");
    Client c = authenticated(0, ch);
    deliver(0, message(ch.getString("channel_ref"), "r1", 1));
    assertThat(c.nextArray().getString(0)).isEqualTo("r1");
    long first = System.nanoTime();
    assertThat(c.nextArray().getString(0)).isEqualTo("r1");
    long second = System.nanoTime();
    assertThat(c.nextArray().getString(0)).isEqualTo("r1");
    long third = System.nanoTime();
    assertThat(TimeUnit.NANOSECONDS.toMillis(second - first)).isBetween(700L, 1800L);
    assertThat(TimeUnit.NANOSECONDS.toMillis(third - second)).isBetween(1500L, 3000L); // doubled
    c.send("Ack::r1");
    assertThat(c.drain(3500)).isEmpty();
    c.ws.close().await();
  }

  @Test
  void unackedMessagesAreRedeliveredOnANewSocketAfterADrop() {
    JsonObject ch = create(0, "app01", "u-reconnect");
    String ref = ch.getString("channel_ref");
    Client c1 = authenticated(0, ch);
    deliver(0, message(ref, "d1", 1));
    assertThat(c1.nextArray().getString(0)).isEqualTo("d1");
    c1.ws.close().await(); // dropped without acking

    Client c2 = authenticated(0, ch);
    assertThat(c2.nextArray()).isEqualTo(frame("d1", "c-d1", 1));
    c2.send("Ack::d1");
    c2.ws.close().await();
    // Acked now: a third socket gets only what comes next.
    Client c3 = authenticated(0, ch);
    deliver(0, message(ref, "d2", 2));
    assertThat(c3.nextArray().getString(0)).isEqualTo("d2");
    c3.ws.close().await();
  }

  @Test
  void messagesQueuedWhileOfflineAreSentOnConnectOldestEvictedBeyond100() {
    JsonObject ch = create(0, "app01", "u-offline");
    String ref = ch.getString("channel_ref");
    for (int i = 1; i <= 102; i++) deliver(0, message(ref, "q" + i, i));
    Client c = authenticated(0, ch);
    // q1 and q2 were evicted; the 100 others come in order.
    for (int i = 3; i <= 102; i++) {
      JsonArray f = c.nextArray();
      assertThat(f.getString(0)).isEqualTo("q" + i);
      c.send("Ack::" + f.getString(0));
    }
    c.ws.close().await();
  }

  @Test
  void aNewerSocketReplacesTheOlderOneWith3009() {
    JsonObject ch = create(0, "app01", "u-replace");
    Client old = authenticated(0, ch);
    Client newer = authenticated(0, ch);
    assertThat(old.closeReason()).isEqualTo("1001/3009");
    deliver(0, message(ch.getString("channel_ref"), "n1", 1));
    assertThat(newer.nextArray().getString(0)).isEqualTo("n1");
    newer.ws.close().await();
  }

  @Test
  void badSecretsAndBadRequestsAreRefused() {
    JsonObject ch = create(0, "app01", "u-bad");
    JsonObject other = create(0, "app01", "u-other");
    String ref = ch.getString("channel_ref");

    Client garbage = connect(0, ref);
    garbage.send("Auth::123:SFMyNTY.bm9wZQ.bm9wZQ");
    assertThat(garbage.closeReason()).isEqualTo("1001/3008");

    Client wrongChannel = connect(0, ref);
    wrongChannel.send("Auth::" + other.getString("channel_secret"));
    assertThat(wrongChannel.closeReason()).isEqualTo("1001/3008");

    // A secret signed with the nodes' key but already expired.
    String serverSecret = ClusterSecrets.of(nodes.get(1).config).channelSenderSecret();
    String expired = new ChannelSecrets(serverSecret, -5).issue(ref, "app01", "u-bad");
    Client late = connect(0, ref);
    late.send("Auth::" + expired);
    assertThat(late.closeReason()).isEqualTo("1001/3008");
    // The same key with a valid life is accepted: the expiry was the only fault.
    String fresh = new ChannelSecrets(serverSecret, 60).issue(ref, "app01", "u-bad");
    Client ok = connect(0, ref);
    ok.send("Auth::" + fresh);
    assertThat(ok.nextArray().getString(2)).isEqualTo("AuthOk");
    ok.ws.close().await();

    Client notAuthFirst = connect(0, ref);
    notAuthFirst.send("hb::1");
    assertThat(notAuthFirst.closeReason()).isEqualTo("1001/3006");

    Client silent = connect(0, ref);
    assertThat(silent.closeReason()).isEqualTo("1001/3008"); // no Auth:: within authTimeoutSeconds (2 s here)

    for (String query : List.of("", "?channel=", "?channel=short")) {
      Throwable t = catchThrowable(() -> wsClient.connect(ports.get(0), "127.0.0.1", "/ext/socket" + query).await());
      assertThat(t).as(query).isInstanceOf(UpgradeRejectedException.class);
      assertThat(((UpgradeRejectedException) t).getStatus()).isEqualTo(400);
      assertThat(((UpgradeRejectedException) t).getHeaders().get("x-error-code")).isEqualTo("3006");
    }
  }

  @Test
  void deliverBatchProcessesAtMostTenAndReportsTheRest() {
    JsonObject ch = create(0, "app01", "u-batch");
    String ref = ch.getString("channel_ref");
    Client c = authenticated(0, ch);

    JsonArray all = new JsonArray();
    for (int i = 1; i <= 3; i++) all.add(message(ref, "b" + i, i).copy());
    HttpResponse<Buffer> ok = post(0, "/ext/channel/deliver_batch", new JsonObject().put("messages", all));
    assertThat(ok.statusCode()).isEqualTo(202);
    assertThat(ok.bodyAsJsonObject()).isEqualTo(new JsonObject().put("result", "Ok"));
    for (int i = 1; i <= 3; i++) {
      assertThat(c.nextArray().getString(0)).isEqualTo("b" + i);
      c.send("Ack::b" + i);
    }

    JsonArray twelve = new JsonArray();
    for (int i = 1; i <= 12; i++) twelve.add(message(ref, "p" + i, i));
    JsonObject invalid = message(ref, "p5", 5);
    invalid.remove("event_name");
    twelve.set(4, invalid);
    HttpResponse<Buffer> partial = post(0, "/ext/channel/deliver_batch", new JsonObject().put("messages", twelve));
    assertThat(partial.statusCode()).isEqualTo(202);
    JsonObject report = partial.bodyAsJsonObject();
    assertThat(report.getString("result")).isEqualTo("partial-success");
    assertThat(report.getInteger("accepted_messages")).isEqualTo(9);
    assertThat(report.getInteger("discarded_messages")).isEqualTo(3);
    assertThat(report.getJsonArray("discarded")).containsExactly(invalid, twelve.getJsonObject(10), twelve.getJsonObject(11));
    List<String> received = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      String mid = c.nextArray().getString(0);
      received.add(mid);
      c.send("Ack::" + mid);
    }
    assertThat(received).containsExactlyInAnyOrder("p1", "p2", "p3", "p4", "p6", "p7", "p8", "p9", "p10");

    HttpResponse<Buffer> none = post(0, "/ext/channel/deliver_batch", new JsonObject().put("messages", new JsonArray().add(invalid).add("x")));
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(post(0, "/ext/channel/deliver_batch", new JsonObject().put("messages", new JsonArray())).statusCode()).isEqualTo(400);
    c.ws.close().await();
  }

  @Test
  void invalidRequestsAreRefusedWith400() {
    JsonObject badCreate = new JsonObject().put("application_ref", "app01").put("user_ref", "");
    HttpResponse<Buffer> r = post(0, "/ext/channel/create", badCreate);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "Invalid request").put("request", badCreate));
    assertThat(post(0, "/ext/channel/create", new JsonObject().put("user_ref", "x")).statusCode()).isEqualTo(400);

    JsonObject good = message("0123456789abcdef0123456789abcdef", "v1", 1);
    List<JsonObject> bad = new ArrayList<>();
    for (String key : List.of("message_id", "correlation_id", "event_name", "message_data", "channel_ref")) {
      JsonObject m = good.copy();
      m.remove(key);
      bad.add(m);
    }
    bad.add(good.copy().put("app_ref", "app01")); // two addressing keys
    bad.add(good.copy().put("message_id", ""));
    for (JsonObject m : bad) {
      HttpResponse<Buffer> res = post(0, "/ext/channel/deliver_message", m);
      assertThat(res.statusCode()).as(m.encode()).isEqualTo(400);
      assertThat(res.bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "Invalid request").put("request", m));
    }
    // 202 means accepted, not delivered: a message for an unknown channel is accepted and dropped.
    deliver(0, good);
  }

  @Test
  void deleteClosesTheSocketAndCountIsClusterWide() {
    int before = http.get(ports.get(1), "127.0.0.1", "/ext/channel/count").putHeader("Authorization", "Bearer " + KEY)
      .send().await().bodyAsJsonObject().getInteger("total_channels");
    JsonObject ch = create(0, "app01", "u-delete");
    String ref = ch.getString("channel_ref");
    JsonObject count = http.get(ports.get(1), "127.0.0.1", "/ext/channel/count").putHeader("Authorization", "Bearer " + KEY)
      .send().await().bodyAsJsonObject();
    assertThat(count).isEqualTo(new JsonObject().put("total_channels", before + 1));

    Client c = authenticated(1, ch);
    HttpResponse<Buffer> del = http.delete(ports.get(0), "127.0.0.1", "/ext/channel?channel_ref=" + ref)
      .putHeader("Authorization", "Bearer " + KEY).send().await();
    assertThat(del.statusCode()).isEqualTo(202);
    assertThat(del.bodyAsJsonObject()).isEqualTo(new JsonObject().put("result", "Ok"));
    assertThat(c.closeReason()).isEqualTo("1000/3000");
    assertThat(http.get(ports.get(0), "127.0.0.1", "/ext/channel/count").putHeader("Authorization", "Bearer " + KEY)
      .send().await().bodyAsJsonObject().getInteger("total_channels")).isEqualTo(before);
    assertThat(http.delete(ports.get(0), "127.0.0.1", "/ext/channel").putHeader("Authorization", "Bearer " + KEY)
      .send().await().statusCode()).isEqualTo(400);
  }

  @Test
  void restCallsNeedThePublisherKeyAndUnknownRoutesAre404() {
    JsonObject body = new JsonObject().put("application_ref", "a").put("user_ref", "u");
    assertThat(http.post(ports.get(0), "127.0.0.1", "/ext/channel/create").sendJsonObject(body).await().statusCode()).isEqualTo(401);
    assertThat(http.post(ports.get(0), "127.0.0.1", "/ext/channel/create").putHeader("Authorization", "Bearer nope")
      .sendJsonObject(body).await().statusCode()).isEqualTo(401);
    assertThat(http.post(ports.get(0), "127.0.0.1", "/ext/channel/deliver_message").sendJsonObject(message("x", "y", 1))
      .await().statusCode()).isEqualTo(401);
    assertThat(http.get(ports.get(0), "127.0.0.1", "/ext/channel/count").send().await().statusCode()).isEqualTo(401);
    assertThat(http.delete(ports.get(0), "127.0.0.1", "/ext/channel?channel_ref=abc").send().await().statusCode()).isEqualTo(401);
    HttpResponse<Buffer> unknown = http.get(ports.get(0), "127.0.0.1", "/ext/nothing/here").send().await();
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.bodyAsString()).isEqualTo("Route not found.");
    assertThat(http.get(ports.get(0), "127.0.0.1", "/ext/channel/create").send().await().statusCode()).isEqualTo(404);
  }

  @Test
  void appRefAndUserRefFanOutToEveryMatchingChannel() {
    JsonObject a1 = create(0, "fan-app", "fan-u1");
    JsonObject a2 = create(1, "fan-app", "fan-u2");
    JsonObject other = create(0, "other-app", "fan-u1");
    Client c1 = authenticated(0, a1);
    Client c2 = authenticated(1, a2);
    Client c3 = authenticated(0, other);

    JsonObject byApp = message("", "f1", 1);
    byApp.remove("channel_ref");
    deliver(0, byApp.copy().put("app_ref", "fan-app"));
    assertThat(c1.nextArray().getString(0)).isEqualTo("f1");
    assertThat(c2.nextArray().getString(0)).isEqualTo("f1");

    JsonObject byUser = byApp.copy().put("message_id", "f2").put("user_ref", "fan-u1");
    deliver(1, byUser);
    assertThat(c1.nextArray().getString(0)).isEqualTo("f2");
    // other-app's channel got f2 (its user is fan-u1) but never f1.
    assertThat(c3.nextArray().getString(0)).isEqualTo("f2");
    for (Client c : List.of(c1, c2, c3)) c.ws.close().await();
  }

  /** Opens the stream with {@code handler} set before any chunk can arrive. */
  private HttpClientResponse sseOpen(int node, String query, String secret, io.vertx.core.Handler<Buffer> handler) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setPort(ports.get(node)).setHost("127.0.0.1")
      .setURI("/ext/sse" + query);
    if (secret != null) o.putHeader("Authorization", "Bearer " + secret);
    // The handler is attached on the event loop as the request is sent, before its response can
    // be read: attached later from this thread, the first chunk could already be gone.
    return within(httpClient.request(o).compose(req -> req.send().map(res -> res.handler(handler))), "SSE open on node " + node);
  }

  /**
   * "status x-error-code body" of a refused SSE request, read by WebClient, which takes the body
   * as the response arrives: a body() asked for in a later callback, on another event loop than the
   * connection's, can miss a short response's end and wait forever.
   */
  private String sseError(int node, String query, String secret) {
    var request = http.get(ports.get(node), "127.0.0.1", "/ext/sse" + query);
    if (secret != null) request.putHeader("Authorization", "Bearer " + secret);
    return within(request.send().map(res -> res.statusCode() + " " + res.getHeader("x-error-code") + " " + res.bodyAsString()),
      "SSE request " + query + " on node " + node);
  }

  @Test
  void sseDeliversFramesAndAcksThemAutomatically() {
    JsonObject ch = create(0, "app01", "u-sse");
    String ref = ch.getString("channel_ref");
    deliver(0, message(ref, "s1", new JsonObject().put("a", 1)));

    Client inbox = new Client(null);
    SseClient sse = SseClient.listening(e -> {
      if (e.data() != null) inbox.push(e.data());
    });
    HttpClientResponse res = sseOpen(1, "?channel=" + ref, ch.getString("channel_secret"), sse::feed);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.getHeader("Content-Type")).isEqualTo("text/event-stream");
    assertThat(inbox.nextArray()).isEqualTo(frame("s1", "c-s1", new JsonObject().put("a", 1)));
    deliver(0, message(ref, "s2", 2));
    assertThat(inbox.nextArray()).isEqualTo(frame("s2", "c-s2", 2));
    within(res.request().connection().close(), "closing the SSE connection");

    // Both were acked once written: a socket now gets only the next message.
    Client c = authenticated(0, ch);
    deliver(0, message(ref, "s3", 3));
    assertThat(c.nextArray().getString(0)).isEqualTo("s3");
    within(c.ws.close(), "closing the WebSocket");

    assertThat(sseError(0, "", ch.getString("channel_secret"))).isEqualTo("400 3006 {\"error\":\"3006\"}");
    assertThat(sseError(0, "?channel=" + ref, "1:SFMyNTY.x.y")).isEqualTo("401 3008 {\"error\":\"3008\"}");
    assertThat(sseError(0, "?channel=" + ref, ch.getString("channel_secret").replace("SFMyNTY.", "SFMyNTY.e")))
      .isEqualTo("401 3008 {\"error\":\"3008\"}");
    assertThat(sseError(0, "?channel=" + ref, null)).startsWith("401 3008");
  }

  @Test
  void sseFollowsTheOriginRuleOfEveryStream() {
    JsonObject ch = create(0, "app01", "u-sse-origin");
    RequestOptions foreign = new RequestOptions().setMethod(HttpMethod.GET).setPort(ports.get(0)).setHost("127.0.0.1")
      .setURI("/ext/sse?channel=" + ch.getString("channel_ref"))
      .putHeader("Authorization", "Bearer " + ch.getString("channel_secret"))
      .putHeader("Origin", "https://elsewhere.example");
    HttpClientResponse refused = httpClient.request(foreign).compose(req -> req.send()).await();
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.getHeader("Access-Control-Allow-Origin")).isNull();

    // The node's own origin reads the stream without any CORS header, never with "*".
    RequestOptions own = new RequestOptions(foreign).setHeaders(io.vertx.core.MultiMap.caseInsensitiveMultiMap()
      .add("Authorization", "Bearer " + ch.getString("channel_secret"))
      .add("Origin", "http://127.0.0.1:" + ports.get(0)));
    HttpClientResponse opened = httpClient.request(own).compose(req -> req.send()).await();
    assertThat(opened.statusCode()).isEqualTo(200);
    assertThat(opened.getHeader("Access-Control-Allow-Origin")).isNull();
    opened.request().connection().close().await();
  }

  @Test
  void twoNodesCreateAndDeliverOnOneSocketOnTheOther() {
    // Created and delivered through node A; the socket is on node B, which verifies A's secret.
    JsonObject ch = create(0, "app01", "u-cluster");
    String ref = ch.getString("channel_ref");
    deliver(0, message(ref, "x1", 1)); // queued in Hazelcast while offline
    Client onB = authenticated(1, ch);
    assertThat(onB.nextArray()).isEqualTo(frame("x1", "c-x1", 1));
    onB.send("Ack::x1");
    deliver(0, message(ref, "x2", 2)); // live, through the event bus to node B
    assertThat(onB.nextArray()).isEqualTo(frame("x2", "c-x2", 2));

    // Not acked; a newer socket on node A replaces the one on B (3009) and gets x2 again.
    Client onA = authenticated(0, ch);
    assertThat(onB.closeReason()).isEqualTo("1001/3009");
    assertThat(onA.nextArray()).isEqualTo(frame("x2", "c-x2", 2));
    onA.send("Ack::x2");
    onA.ws.close().await();
  }
}
