package io.ecb.http;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.ecb.support.SseClient;
import io.ecb.support.StubBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

import static io.ecb.support.Conditions.within;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/events} (SPEC sections 4 and 7): the subscription payloads as Server-Sent
 * Events, read with a real HTTP client on loopback, and resumed with {@code Last-Event-ID}.
 */
@Timeout(60)
class EventStreamTest extends NodeTestBase {

  /** The burst test alone makes about 140 requests as one user within a second or less. */
  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("limits").put("requestBurst", 1000);
  }

  /** One SSE event: its {@code id:} (null when it had none) and its {@code data:} JSON. */
  record Event(String id, JsonObject data) {
    /** The id as stream → "epoch:offset". */
    Map<String, String> positions() {
      Map<String, String> out = new LinkedHashMap<>();
      for (String part : id.split(";")) {
        int eq = part.indexOf('=');
        out.put(part.substring(0, eq), part.substring(eq + 1));
      }
      return out;
    }
  }

  /** A minimal EventSource: parses the stream into events; comments ({@code : ok}, {@code : ping}) are skipped. */
  static final class Sse {
    final HttpClientAgent client;
    HttpClientResponse response;
    private final Queue<Event> events = new ArrayDeque<>();
    private final Queue<Promise<Event>> waiting = new ArrayDeque<>();
    final SseClient stream = SseClient.listening(this::onEvent);

    Sse(HttpClientAgent client) {
      this.client = client;
    }

    private synchronized void onEvent(SseClient.Event parsed) {
      if (parsed.data() == null) return;
      Event e = new Event(parsed.id(), new JsonObject(parsed.data()));
      // Presence comes and goes with every follower; it is io.ecb.presence's to test.
      if ("presence".equals(e.data().getString("kind"))) return;
      Promise<Event> w = waiting.poll();
      if (w != null) w.complete(e);
      else events.add(e);
    }

    synchronized Future<Event> next() {
      Event e = events.poll();
      if (e != null) return Future.succeededFuture(e);
      Promise<Event> p = Promise.promise();
      waiting.add(p);
      return p.future();
    }

    synchronized int buffered() {
      return events.size();
    }

    Event nextEvent() {
      return within(next(), "the next event");
    }

    void close() {
      client.close().await();
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /**
   * Opens a stream and waits for its status, headers and first bytes. The server writes its first
   * comment once every subscription is in effect (see {@link #aStreamThatHasOpenedMissesNothing}),
   * so whatever is published after this returns reaches the stream.
   */
  private Sse open(String query, String lastEventId) {
    HttpClientAgent client = vertx.createHttpClient();
    Sse sse = new Sse(client);
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(node.port())
      .setURI("/api/v1/events?" + query);
    if (lastEventId != null) options.addHeader("Last-Event-ID", lastEventId);
    HttpClientResponse response = within(SseClient.open(client, options, null, sse.stream), "the stream's response").response;
    sse.response = response;
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("text/event-stream");
    within(Future.fromCompletionStage(sse.stream.firstBytes), "the stream's first bytes");
    return sse;
  }

  private HttpResponse<Buffer> openFails(String query) {
    return http.get(node.port(), "127.0.0.1", "/api/v1/events?" + query).send().await();
  }

  private static void error(HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo(code);
    assertThat(error.getString("message")).isNotBlank();
  }

  private JsonObject sendHttp(String userId, String threadId, String threadToken, String text) {
    HttpResponse<Buffer> r = http.post(node.port(), "127.0.0.1", "/api/v1/threads/" + threadId + "/messages")
      .putHeader("Authorization", "Bearer " + backend.userToken(userId))
      .putHeader("X-Thread-Token", threadToken)
      .sendJsonObject(new JsonObject().put("message", new JsonObject().put("type", "text")
        .put("data", new JsonObject().put("messageText", text)))).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  /** {@code thread:<id>=<epoch>:<offset>} of the thread's current position, read with getThread. */
  private String threadPosition(String userId, String threadId, String threadToken) {
    HttpResponse<Buffer> r = http.get(node.port(), "127.0.0.1", "/api/v1/threads/" + threadId)
      .putHeader("Authorization", "Bearer " + backend.userToken(userId))
      .putHeader("X-Thread-Token", threadToken).send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject t = r.bodyAsJsonObject();
    return "thread:" + threadId + "=" + t.getString("epoch") + ":" + t.getLong("offset");
  }

  private static void assertMessage(Event e, String threadId, long offset, String text) {
    JsonObject d = e.data();
    assertThat(d.getString("kind")).as(d.encode()).isEqualTo("message");
    assertThat(d.getString("threadId")).isEqualTo(threadId);
    assertThat(d.getLong("offset")).as(d.encode()).isEqualTo(offset);
    assertThat(d.getString("epoch")).isNotBlank();
    assertThat(d.getJsonObject("message").getJsonObject("data").getString("messageText")).isEqualTo(text);
    assertThat(e.positions().get("thread:" + threadId)).isEqualTo(d.getString("epoch") + ":" + offset);
  }

  @Test
  void messagesAndTypingArriveWithTheirPositions() {
    String token = backend.addThread("t-sse", "u1", "u2").getString("threadToken");
    String u1 = backend.userToken("u1", new JsonArray().add("news"));
    String from = threadPosition("u1", "t-sse", token);
    Sse sse = open("access_token=" + enc(u1) + "&thread=" + enc(token) + "&user=true&channel=news", from);
    try {
      JsonObject sent = sendHttp("u2", "t-sse", token, "over http");
      Event first = sse.nextEvent();
      assertMessage(first, "t-sse", 1, "over http");
      assertThat(first.data().getJsonObject("message")).isEqualTo(sent.getJsonObject("message"));
      String epoch = first.data().getString("epoch");
      assertThat(from).isEqualTo("thread:t-sse=" + epoch + ":0");

      BridgeClient bridge = bridge();
      bridge.request("ecb.sendMessage", member("u2", token), new JsonObject().put("message", new JsonObject()
        .put("type", "text").put("data", new JsonObject().put("messageText", "over the bridge")))).await();
      Event second = sse.nextEvent();
      assertMessage(second, "t-sse", 2, "over the bridge");
      assertThat(second.data().getString("epoch")).isEqualTo(epoch);

      bridge.request("ecb.sendMessage", member("u2", token), new JsonObject().put("message", new JsonObject()
        .put("type", "typing").put("data", true))).await();
      Event typing = sse.nextEvent();
      assertThat(typing.data()).isEqualTo(new JsonObject().put("kind", "typing").put("threadId", "t-sse")
        .put("fromUserId", "u2").put("data", true));
      assertThat(typing.positions().get("thread:t-sse")).as("typing does not move the stream").isEqualTo(epoch + ":2");
      bridge.close().await();

      // The reader's own message comes back on the stream too.
      sendHttp("u1", "t-sse", token, "mine");
      Event mine = sse.nextEvent();
      assertMessage(mine, "t-sse", 3, "mine");
      // The id names every followed stream once, each as <stream>=<epoch>:<offset>, joined by ';'.
      assertThat(mine.id()).matches("[a-z]+:[^=;]+=[^:;=]+:\\d+(;[a-z]+:[^=;]+=[^:;=]+:\\d+)*");
      Map<String, String> positions = mine.positions();
      assertThat(positions.keySet()).containsExactlyInAnyOrder("thread:t-sse", "user:u1", "channel:news");
      assertThat(mine.id().split(";")).hasSize(3);
      assertThat(positions.get("thread:t-sse")).isEqualTo(epoch + ":3");
      assertThat(positions.get("user:u1")).matches("[^:]+:0");
      assertThat(positions.get("channel:news")).matches("[^:]+:0");
      assertThat(sse.buffered()).isZero();
    } finally {
      sse.close();
    }
  }

  @Test
  void threadCreatedArrivesOnTheUserStream() {
    // A stale position first: the reset the server answers with shows the stream is subscribed.
    Sse sse = open("user=true&access_token=" + enc(backend.userToken("u3")), "user:u3=stale-epoch:0");
    try {
      Event reset = sse.nextEvent();
      assertThat(reset.data().getString("kind")).isEqualTo("reset");
      assertThat(reset.data().getString("stream")).isEqualTo("user:u3");
      String epoch = reset.data().getString("epoch");
      long offset = reset.data().getLong("offset");

      HttpResponse<Buffer> r = http.post(node.port(), "127.0.0.1", "/api/v1/threads")
        .putHeader("Authorization", "Bearer " + backend.userToken("u4"))
        .sendJsonObject(new JsonObject().put("memberIds", new JsonArray().add("u3"))
          .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hey")))).await();
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      JsonObject thread = r.bodyAsJsonObject().getJsonObject("thread");
      Event e = sse.nextEvent();
      assertThat(e.data().getString("kind")).isEqualTo("threadCreated");
      assertThat(e.data().getJsonObject("thread").getString("threadId")).isEqualTo(thread.getString("threadId"));
      assertThat(e.data().getJsonObject("thread").getString("threadToken")).isEqualTo(thread.getString("threadToken"));
      assertThat(e.data().getLong("offset")).isEqualTo(offset + 1);
      assertThat(e.data().getString("epoch")).isEqualTo(epoch);
      assertThat(e.positions()).containsOnlyKeys("user:u3");
      assertThat(e.positions().get("user:u3")).isEqualTo(epoch + ":" + (offset + 1));
    } finally {
      sse.close();
    }
  }

  @Test
  void aStreamChecksTheSignatureOfEachTokenOnce() {
    String token = backend.addThread("t-once", "u1", "u2").getString("threadToken");
    long before = node.node.chat().tokens().signatureChecks.sum();
    Sse sse = open("access_token=" + enc(backend.freshUserToken("u1", 1)) + "&thread=" + enc(token) + "&user=true", null);
    sse.close();
    assertThat(node.node.chat().tokens().signatureChecks.sum() - before).as("the userToken's and the threadToken's").isEqualTo(2);
  }

  @Test
  void theBearerHeaderWorksInsteadOfAccessToken() {
    HttpClientAgent client = vertx.createHttpClient();
    try {
      HttpClientResponse resp = within(client.request(new RequestOptions().setHost("127.0.0.1").setPort(node.port())
          .setURI("/api/v1/events?user=true").addHeader("Authorization", "Bearer " + backend.userToken("u5")))
        .compose(req -> req.send()), "the stream's response");
      resp.exceptionHandler(e -> { });
      assertThat(resp.statusCode()).isEqualTo(200);
      assertThat(resp.getHeader("Content-Type")).startsWith("text/event-stream");
      assertThat(resp.getHeader("Cache-Control")).isEqualTo("no-cache");
    } finally {
      client.close().await();
    }
  }

  @Test
  void lastEventIdReplaysExactlyWhatWasMissedBeforeLiveMessages() {
    String token = backend.addThread("t-resume", "u1", "u2").getString("threadToken");
    String query = "access_token=" + enc(backend.userToken("u1")) + "&thread=" + enc(token) + "&user=true";
    Sse first = open(query, threadPosition("u1", "t-resume", token));
    Event e1;
    try {
      sendHttp("u2", "t-resume", token, "m1");
      e1 = first.nextEvent();
      assertMessage(e1, "t-resume", 1, "m1");
      sendHttp("u2", "t-resume", token, "m2");
      assertMessage(first.nextEvent(), "t-resume", 2, "m2");
    } finally {
      first.close();
    }
    // Sent while nobody listens.
    sendHttp("u2", "t-resume", token, "m3");
    sendHttp("u1", "t-resume", token, "m4");

    // Resume from the first event's id (not the last one seen): m2..m4 are replayed, in order,
    // then live messages follow, with no duplicates.
    Sse resumed = open(query, e1.id());
    try {
      assertMessage(resumed.nextEvent(), "t-resume", 2, "m2");
      assertMessage(resumed.nextEvent(), "t-resume", 3, "m3");
      assertMessage(resumed.nextEvent(), "t-resume", 4, "m4");
      sendHttp("u2", "t-resume", token, "m5");
      assertMessage(resumed.nextEvent(), "t-resume", 5, "m5");
      sendHttp("u2", "t-resume", token, "m6");
      assertMessage(resumed.nextEvent(), "t-resume", 6, "m6");
      assertThat(resumed.buffered()).as("no duplicates").isZero();
    } finally {
      resumed.close();
    }

    // Resuming from the newest position replays nothing; the next event is the next live message.
    Sse current = open(query, "thread:t-resume=" + e1.data().getString("epoch") + ":6");
    try {
      sendHttp("u2", "t-resume", token, "m7");
      assertMessage(current.nextEvent(), "t-resume", 7, "m7");
      assertThat(current.buffered()).isZero();
    } finally {
      current.close();
    }
  }

  @Test
  void anUnknownEpochGivesAReset() {
    String token = backend.addThread("t-reset", "u1", "u2").getString("threadToken");
    sendHttp("u2", "t-reset", token, "before");
    String query = "access_token=" + enc(backend.userToken("u1")) + "&thread=" + enc(token);
    Sse sse = open(query, "thread:t-reset=gone-epoch:1");
    try {
      Event reset = sse.nextEvent();
      assertThat(reset.data().getString("kind")).isEqualTo("reset");
      assertThat(reset.data().getString("stream")).isEqualTo("thread:t-reset");
      assertThat(reset.data().getLong("offset")).isEqualTo(1);
      String epoch = reset.data().getString("epoch");
      assertThat(epoch).isNotBlank().isNotEqualTo("gone-epoch");
      assertThat(reset.positions().get("thread:t-reset")).isEqualTo(epoch + ":1");

      sendHttp("u2", "t-reset", token, "after");
      Event live = sse.nextEvent();
      assertMessage(live, "t-reset", 2, "after");
      assertThat(live.data().getString("epoch")).isEqualTo(epoch);
      assertThat(sse.buffered()).isZero();
    } finally {
      sse.close();
    }
  }

  @Test
  void errorsBeforeTheStreamStartsAreJson() {
    String token = backend.addThread("t-err", "u1", "u2").getString("threadToken");
    error(openFails("user=true"), 401, "UNAUTHORIZED");
    error(openFails("user=true&access_token=garbage"), 401, "UNAUTHORIZED");
    error(openFails("access_token=" + enc(backend.userToken("u1", new JsonArray().add("news"))) + "&channel=secret"),
      403, "FORBIDDEN");
    error(openFails("access_token=" + enc(backend.userToken("u1")) + "&channel=news"), 403, "FORBIDDEN");
    error(openFails("access_token=" + enc(backend.userToken("u1", new JsonArray().add("news"))) + "&user=true&channel=news&channel=secret"),
      403, "FORBIDDEN");
    error(openFails("access_token=" + enc(backend.userToken("u3")) + "&thread=" + enc(token)), 403, "FORBIDDEN");
    error(openFails("access_token=" + enc(backend.userToken("u3")) + "&user=true&thread=" + enc(token)), 403, "FORBIDDEN");
    error(openFails("access_token=" + enc(backend.userToken("u1")) + "&thread=garbage"), 401, "UNAUTHORIZED");
    error(openFails("access_token=" + enc(backend.userToken("u1"))), 400, "BAD_REQUEST");
    error(openFails("access_token=" + enc(backend.userToken("u1")) + "&user=false"), 400, "BAD_REQUEST");
    assertThat(backend.calls).isEmpty();
  }

  @Test
  void severalThreadsOnOneConnection() {
    String ta = backend.addThread("t-multi-a", "u1", "u2").getString("threadToken");
    String tb = backend.addThread("t-multi-b", "u1", "u3").getString("threadToken");
    String query = "access_token=" + enc(backend.userToken("u1")) + "&thread=" + enc(ta) + "&thread=" + enc(tb);
    Sse sse = open(query, threadPosition("u1", "t-multi-a", ta) + ";" + threadPosition("u1", "t-multi-b", tb));
    Event a1;
    Event b1;
    try {
      sendHttp("u2", "t-multi-a", ta, "a1");
      a1 = sse.nextEvent();
      assertMessage(a1, "t-multi-a", 1, "a1");
      sendHttp("u3", "t-multi-b", tb, "b1");
      b1 = sse.nextEvent();
      assertMessage(b1, "t-multi-b", 1, "b1");
      assertThat(b1.positions()).containsOnlyKeys("thread:t-multi-a", "thread:t-multi-b");
      assertThat(b1.positions().get("thread:t-multi-a")).isEqualTo(a1.data().getString("epoch") + ":1");
    } finally {
      sse.close();
    }
    // Resume both streams from one id: each replays what it missed.
    sendHttp("u2", "t-multi-a", ta, "a2");
    sendHttp("u3", "t-multi-b", tb, "b2");
    sendHttp("u3", "t-multi-b", tb, "b3");
    Sse resumed = open(query, b1.id());
    try {
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        texts.add(resumed.nextEvent().data().getJsonObject("message").getJsonObject("data").getString("messageText"));
      }
      // Each stream in its own order; the two streams may interleave.
      assertThat(texts).containsExactlyInAnyOrder("a2", "b2", "b3");
      assertThat(texts.indexOf("b2")).isLessThan(texts.indexOf("b3"));
    } finally {
      resumed.close();
    }
  }

  // ---- server bugs, found while writing these tests; enable once EventStreams is fixed

  @Test
  void aStreamThatHasOpenedMissesNothing() {
    for (int i = 0; i < 50; i++) {
      String threadId = "t-open-" + i;
      String token = backend.addThread(threadId, "u1", "u2").getString("threadToken");
      // u2's send is in flight; the backend answers it the moment u1's stream has opened, the way
      // a page that sends once its EventSource is open would.
      Promise<Void> opened = Promise.promise();
      Promise<Void> webhookArrived = Promise.promise();
      backend.on("addThreadMessage", req -> {
        webhookArrived.tryComplete();
        return opened.future().map(v -> StubBackend.Reply.ok(new JsonObject().put("thread", backend.thread(threadId))
          .put("message", new JsonObject().put("messageId", "m-" + threadId).put("fromUserId", "u2")
            .put("creationTime", System.currentTimeMillis()).put("type", "text")
            .put("data", req.getJsonObject("message").getJsonObject("data")))));
      });
      Future<HttpResponse<Buffer>> send = http.post(node.port(), "127.0.0.1", "/api/v1/threads/" + threadId + "/messages")
        .putHeader("Authorization", "Bearer " + backend.userToken("u2")).putHeader("X-Thread-Token", token)
        .sendJsonObject(new JsonObject().put("message", new JsonObject().put("type", "text")
          .put("data", new JsonObject().put("messageText", "first"))));
      within(webhookArrived.future(), "the addThreadMessage webhook");
      Sse sse = open("access_token=" + enc(backend.userToken("u1")) + "&thread=" + enc(token), null);
      try {
        opened.complete();
        assertThat(within(send, "the send's answer").statusCode()).isEqualTo(200);
        assertMessage(sse.nextEvent(), threadId, 1, "first");
      } finally {
        sse.close();
      }
    }
  }

  @Test
  void messagesSentTogetherAtTheStartOfAStreamAllArrive() {
    for (int i = 0; i < 20; i++) {
      String threadId = "t-burst-" + i;
      String token = backend.addThread(threadId, "u1", "u2").getString("threadToken");
      // Resuming from offset 0 makes the stream's opening race-free; what is left is the fan-out.
      Sse sse = open("access_token=" + enc(backend.userToken("u1")) + "&thread=" + enc(token),
        threadPosition("u1", threadId, token));
      try {
        List<Future<HttpResponse<Buffer>>> sends = new ArrayList<>();
        for (int n = 0; n < 5; n++) {
          sends.add(http.post(node.port(), "127.0.0.1", "/api/v1/threads/" + threadId + "/messages")
            .putHeader("Authorization", "Bearer " + backend.userToken("u2")).putHeader("X-Thread-Token", token)
            .sendJsonObject(new JsonObject().put("message", new JsonObject().put("type", "text")
              .put("data", new JsonObject().put("messageText", "m" + n)))));
        }
        within(Future.all(sends), "the sends' answers");
        for (long offset = 1; offset <= 5; offset++) {
          assertThat(sse.nextEvent().data().getLong("offset")).as(threadId).isEqualTo(offset);
        }
      } finally {
        sse.close();
      }
    }
  }

  @Test
  void everyEventIdNamesEveryFollowedStream() {
    for (int i = 0; i < 10; i++) {
      String threadId = "t-ids-" + i;
      String token = backend.addThread(threadId, "u1", "u2").getString("threadToken");
      String query = "access_token=" + enc(backend.userToken("u1", new JsonArray().add("news"))) + "&thread=" + enc(token)
        + "&user=true&channel=news";
      String from = threadPosition("u1", threadId, token);
      Event first;
      Sse sse = open(query, from);
      try {
        sendHttp("u2", threadId, token, "one");
        first = sse.nextEvent();
        assertThat(first.positions()).containsOnlyKeys("thread:" + threadId, "user:u1", "channel:news");
      } finally {
        sse.close();
      }
      sendHttp("u2", threadId, token, "two");
      sendHttp("u2", threadId, token, "three");
      Sse resumed = open(query, first.id());
      try {
        for (int n = 2; n <= 3; n++) {
          Event e = resumed.nextEvent();
          assertThat(e.data().getLong("offset")).isEqualTo(n);
          assertThat(e.positions()).as(e.id()).containsOnlyKeys("thread:" + threadId, "user:u1", "channel:news");
          assertThat(e.positions().get("user:u1")).isEqualTo(first.positions().get("user:u1"));
          assertThat(e.positions().get("channel:news")).isEqualTo(first.positions().get("channel:news"));
        }
      } finally {
        resumed.close();
      }
    }
  }
}
