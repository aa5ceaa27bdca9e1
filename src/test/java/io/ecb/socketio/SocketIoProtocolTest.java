package io.ecb.socketio;

import io.ecb.delivery.Streams;
import io.ecb.support.NodeTestBase;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Engine.IO and Socket.IO at the wire, with a plain HTTP and WebSocket client: the handshake, the
 * reference server's error answers, the inbound and outbound bounds, and the drain at shutdown.
 */
@Timeout(60)
class SocketIoProtocolTest extends NodeTestBase {

  private static final String PATH = "/socket.io/?EIO=4&transport=polling";
  private static final int FAILED_AUTH_PER_SECOND = 3;

  /**
   * Held for the whole test: Vert.x closes the connections of a client that is no longer
   * referenced, which a garbage collection during a handshake would otherwise do to it.
   */
  private WebSocketClient webSockets;

  @Override
  protected void configure(JsonObject config) {
    // A small budget of failed token checks, so that a test runs past it in a few packets.
    config.getJsonObject("limits").put("failedAuthPerSecond", FAILED_AUTH_PER_SECOND);
  }

  @BeforeEach
  void webSocketClient() {
    webSockets = vertx.createWebSocketClient();
  }

  @AfterEach
  void closeWebSocketClient() {
    webSockets.close().await();
  }

  private HttpRequest<Buffer> get(String uri) {
    return http.get(node.port(), "127.0.0.1", uri);
  }

  private HttpResponse<Buffer> post(String sid, String body) {
    return http.post(node.port(), "127.0.0.1", PATH + "&sid=" + sid).sendBuffer(Buffer.buffer(body)).await();
  }

  /** A polling handshake: the sid, after checking the open packet. */
  private String open() {
    HttpResponse<Buffer> r = get(PATH).send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    String body = r.bodyAsString();
    assertThat(body).startsWith("0");
    return new JsonObject(body.substring(1)).getString("sid");
  }

  /** The packets the next GET brings (it must not wait: something is queued). */
  private List<String> poll(String sid) {
    HttpResponse<Buffer> r = get(PATH + "&sid=" + sid).send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return EngineIo.decodePayload(r.bodyAsString());
  }

  private static void assertError(HttpResponse<Buffer> r, int status, int code) {
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getInteger("code")).isEqualTo(code);
    assertThat(body.getString("message")).isNotBlank();
  }

  @Test
  void theOpenPacketAdvertisesTheTimingAndTheInboundLimit() {
    JsonObject open = new JsonObject(get(PATH).send().await().bodyAsString().substring(1));
    assertThat(open.getString("sid")).hasSizeGreaterThan(10);
    assertThat(open.getJsonArray("upgrades")).isEqualTo(new JsonArray().add("websocket"));
    assertThat(open.getInteger("pingInterval")).isEqualTo(25000);
    assertThat(open.getInteger("pingTimeout")).isEqualTo(20000);
    assertThat(open.getInteger("maxPayload")).isEqualTo(65536);
  }

  @Test
  void badRequestsGetTheReferenceServersAnswers() {
    assertError(get(PATH + "&sid=nosuchsession").send().await(), 400, 1);
    assertError(get("/socket.io/?EIO=4&transport=carrier-pigeon").send().await(), 400, 0);
    assertError(get("/socket.io/?EIO=3&transport=polling").send().await(), 400, 5);
    assertError(get("/socket.io/?transport=polling").send().await(), 400, 5);
    assertError(http.post(node.port(), "127.0.0.1", PATH).sendBuffer(Buffer.buffer("40")).await(), 400, 2);
    assertError(get("/socket.io/?EIO=4&transport=websocket").send().await(), 400, 3);
    assertError(get(PATH).putHeader("Origin", "https://evil.example").send().await(), 403, 4);
    String sid = open();
    assertError(http.put(node.port(), "127.0.0.1", PATH + "&sid=" + sid).send().await(), 400, 3);
  }

  @Test
  void aForeignOriginCannotOpenOrUpgrade() {
    String sid = open();
    for (String uri : new String[]{"/socket.io/?EIO=4&transport=websocket", "/socket.io/?EIO=4&transport=websocket&sid=" + sid}) {
      Future<WebSocket> refused = webSockets.connect(new WebSocketConnectOptions().setPort(node.port())
        .setHost("127.0.0.1").setURI(uri).addHeader("Origin", "https://evil.example"));
      Throwable failure = refused.transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertThat(failure).isInstanceOf(io.vertx.core.http.UpgradeRejectedException.class);
      assertThat(((io.vertx.core.http.UpgradeRejectedException) failure).getStatus()).isEqualTo(403);
    }
    // The node's own origin passes.
    HttpResponse<Buffer> own = get(PATH).putHeader("Origin", "http://127.0.0.1:" + node.port()).send().await();
    assertThat(own.statusCode()).isEqualTo(200);
  }

  @Test
  void aMalformedPacketEndsTheSession() {
    String sid = open();
    assertError(post(sid, "40/chat,{}\u001e9nonsense"), 400, 3);
    assertError(get(PATH + "&sid=" + sid).send().await(), 400, 1);

    String other = open();
    assertThat(post(other, "42[\"unterminated\"").statusCode()).isEqualTo(400);
    assertError(get(PATH + "&sid=" + other).send().await(), 400, 1);
  }

  @Test
  void anUnknownNamespaceIsRefusedAndBinaryEventsAreDeclined() {
    String sid = open();
    assertThat(post(sid, "40/elsewhere,{}").bodyAsString()).isEqualTo("ok");
    assertThat(poll(sid)).containsExactly("44/elsewhere,{\"message\":\"Invalid namespace\"}");

    assertThat(post(sid, "40/chat,{}").bodyAsString()).isEqualTo("ok");
    assertThat(poll(sid)).singleElement().asString().startsWith("40/chat,{\"sid\":");
    // A binary event and its attachment: declined through the ack, the attachment dropped.
    assertThat(post(sid, "451-/chat,1[\"getThreads\",{\"_placeholder\":true,\"num\":0}]\u001ebAQID").bodyAsString()).isEqualTo("ok");
    String ack = poll(sid).get(0);
    assertThat(ack).startsWith("43/chat,1[");
    assertThat(new JsonArray(ack.substring("43/chat,1".length())).getJsonObject(0).getJsonObject("error").getString("code"))
      .isEqualTo("BAD_REQUEST");
  }

  /** The pid of the CONNECT answer to a /chat CONNECT that brings {@code pid} and {@code offset}. */
  private String reconnectPid(String pid, String offset) {
    String sid = open();
    JsonObject auth = new JsonObject().put("userToken", backend.userToken("u-rec")).put("pid", pid).put("offset", offset);
    post(sid, "40/chat," + auth.encode());
    String answer = poll(sid).get(0);
    assertThat(answer).startsWith("40/chat,");
    return new JsonObject(answer.substring("40/chat,".length())).getString("pid");
  }

  @Test
  void aReconnectIsRecoveredOnlyWhenEveryStreamIsCovered() {
    String token = backend.addThread("t-rec-raw", "u-rec", "u2").getString("threadToken");
    // A position the stream's history covers (its start) is recovered: the pid comes back.
    String covered = new JsonArray().add(new JsonObject().put("a", "ecb.thread.t-rec-raw").put("t", token).put("o", 0)
      .put("e", node.node.publisher().log().position(Streams.thread("t-rec-raw")).await().epoch())).encode();
    assertThat(reconnectPid("pid-1", covered)).isEqualTo("pid-1");
    // Another epoch (the history was lost), a stream the tokens do not cover, or garbage: a fresh socket.
    String otherEpoch = new JsonArray().add(new JsonObject().put("a", "ecb.thread.t-rec-raw").put("t", token).put("o", 0)
      .put("e", "gone")).encode();
    assertThat(reconnectPid("pid-2", otherEpoch)).isNotEqualTo("pid-2").isNotBlank();
    String foreign = new JsonArray().add(new JsonObject().put("a", "ecb.user.someone-else").put("o", 0).put("e", "x")).encode();
    assertThat(reconnectPid("pid-3", foreign)).isNotEqualTo("pid-3");
    assertThat(reconnectPid("pid-4", "not json")).isNotEqualTo("pid-4");
  }

  @Test
  void aPostPastMaxPayloadEndsTheSession() {
    String sid = open();
    String big = "42/chat,[\"getThreads\",{\"x\":\"" + "z".repeat(70_000) + "\"}]";
    HttpResponse<Buffer> r = post(sid, big);
    assertThat(r.statusCode()).isEqualTo(413);
    assertError(get(PATH + "&sid=" + sid).send().await(), 400, 1);
  }

  @Test
  void subscriptionsUseTheUserTokenTheConnectVerifiedWithoutCheckingItAgain() {
    String sid = open();
    String token = backend.sign(new JsonObject().put("userId", "u-once").put("channels", new JsonArray().add("news")), 3600);
    long before = signatureChecks();
    post(sid, "40/chat," + new JsonObject().put("userToken", token).encode());
    assertThat(poll(sid)).singleElement().asString().startsWith("40/chat,");
    post(sid, "42/chat,1[\"subscribe\",{\"address\":\"ecb.user.u-once\"}]");
    assertThat(poll(sid)).singleElement().asString().startsWith("43/chat,1[{\"offset\":");
    post(sid, "42/chat,2[\"subscribe\",{\"address\":\"ecb.channel.news\"}]");
    assertThat(poll(sid)).singleElement().asString().startsWith("43/chat,2[{\"offset\":");
    // What the token allows still decides: another user's stream is refused without a second check.
    post(sid, "42/chat,3[\"subscribe\",{\"address\":\"ecb.user.u-other\"}]");
    assertThat(poll(sid)).singleElement().asString().startsWith("43/chat,3[{\"error\":{\"code\":\"FORBIDDEN\"");
    assertThat(signatureChecks() - before).as("the CONNECT's check only").isEqualTo(1);
  }

  @Test
  void aPollingClientThatStopsPollingIsCutOffAndItsNextRequestGets400() {
    String sid = open();
    post(sid, "40/chat,{\"userToken\":\"" + backend.userToken("u-poll") + "\"}");
    assertThat(poll(sid)).singleElement().asString().startsWith("40/chat,");
    post(sid, "42/chat,1[\"subscribe\",{\"address\":\"ecb.user.u-poll\"}]");
    assertThat(poll(sid)).singleElement().asString().startsWith("43/chat,1[{\"offset\":");

    String filler = "q".repeat(32 * 1024);
    int sent = 0;
    while (node.node.socketIo().sessions.containsKey(sid) && sent < 1000) {
      List<Future<?>> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(node.node.publisher().publish(Streams.user("u-poll"), new JsonObject().put("kind", "notification").put("data", filler)));
      }
      Future.all(batch).await();
      sent += 10;
    }
    assertThat(node.node.socketIo().sessions).as("cut off after %d payloads", sent).doesNotContainKey(sid);
    assertThat(sent).as("1 MiB holds about 32 of them").isBetween(20, 100);
    assertError(get(PATH + "&sid=" + sid).send().await(), 400, 1);
    assertThat(node.node.socketIo().slowConsumers.sum()).isPositive();
  }

  /**
   * A WebSocket whose handlers are set before it connects, so that nothing the server sends at
   * once (the open packet) arrives before them.
   */
  private WebSocket webSocket(WebSocketClient client, int port, LinkedBlockingQueue<String> in, Promise<Short> closed) {
    return webSocket(client, port, in::add, closed);
  }

  private WebSocket webSocket(WebSocketClient client, int port, Handler<String> text, Promise<Short> closed) {
    ClientWebSocket ws = client.webSocket();
    ws.textMessageHandler(text);
    ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
    return ws.connect(new WebSocketConnectOptions().setPort(port).setHost("127.0.0.1")
      .setURI("/socket.io/?EIO=4&transport=websocket")).await();
  }

  /** A text frame and when it arrived. */
  private record Arrival(long nanos, String text) {
  }

  @Test
  void checkpointsDueOnManySocketsAtOnceGoOutSpreadOverTheSweep() throws Exception {
    // Thirty sockets follow one stream, so one payload makes a checkpoint due on each at the
    // same moment; sent in one task, they would hold up every payload behind them.
    int sockets = 30;
    List<LinkedBlockingQueue<Arrival>> ins = new ArrayList<>();
    for (int i = 0; i < sockets; i++) {
      LinkedBlockingQueue<Arrival> in = new LinkedBlockingQueue<>();
      WebSocket ws = webSocket(webSockets, node.port(), text -> in.add(new Arrival(System.nanoTime(), text)), Promise.promise());
      assertThat(next(in).text()).startsWith("0{");
      ws.writeTextMessage(connectWith(backend.userToken("u-spread"))).await();
      assertThat(next(in).text()).startsWith("40/chat,");
      ws.writeTextMessage("42/chat,1[\"subscribe\",{\"address\":\"ecb.user.u-spread\"}]").await();
      assertThat(next(in).text()).startsWith("43/chat,1[");
      ins.add(in);
    }
    long offset = node.node.publisher().publish(Streams.user("u-spread"), new JsonObject().put("kind", "notification")).await().offset();

    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (LinkedBlockingQueue<Arrival> in : ins) {
      Arrival a = next(in);
      while (checkpointOffset(a.text()) < offset) a = next(in);
      first = Math.min(first, a.nanos());
      last = Math.max(last, a.nanos());
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(last - first)).as("ms between the first and the last checkpoint")
      .isBetween(SocketIoServer.SWEEP_MS / 4, SocketIoServer.SWEEP_MS * 3);
  }

  @Test
  void aCheckpointAfterLeavingAndFollowingAStreamAgainGivesTheNewPosition() throws Exception {
    // Another socket keeps following the stream, so the node's fanout of it outlives the first
    // socket's unsubscribe: the socket rejoins a fanout that kept delivering while it was away.
    LinkedBlockingQueue<String> other = new LinkedBlockingQueue<>();
    WebSocket keeper = webSocket(webSockets, node.port(), other, Promise.promise());
    LinkedBlockingQueue<String> in = new LinkedBlockingQueue<>();
    WebSocket ws = webSocket(webSockets, node.port(), in, Promise.promise());
    for (WebSocket w : List.of(keeper, ws)) {
      LinkedBlockingQueue<String> q = w == ws ? in : other;
      assertThat(q.poll(10, TimeUnit.SECONDS)).startsWith("0{");
      w.writeTextMessage(connectWith(backend.userToken("u-again"))).await();
      assertThat(q.poll(10, TimeUnit.SECONDS)).startsWith("40/chat,");
      w.writeTextMessage("42/chat,1[\"subscribe\",{\"address\":\"ecb.user.u-again\"}]").await();
      assertThat(q.poll(10, TimeUnit.SECONDS)).startsWith("43/chat,1[");
    }
    String stream = Streams.user("u-again");
    JsonObject payload = new JsonObject().put("kind", "notification");
    long first = node.node.publisher().publish(stream, payload).await().offset();
    awaitNotification(in, first);
    ws.writeTextMessage("42/chat,2[\"unsubscribe\",{\"address\":\"ecb.user.u-again\"}]").await();
    awaitFrame(in, "43/chat,2[");
    node.node.publisher().publish(stream, payload).await();
    ws.writeTextMessage("42/chat,3[\"subscribe\",{\"address\":\"ecb.user.u-again\"}]").await();
    awaitFrame(in, "43/chat,3[");
    long last = node.node.publisher().publish(stream, payload).await().offset();
    awaitNotification(in, last);
    String frame = in.poll(10, TimeUnit.SECONDS);
    while (frame != null && checkpointOffset(frame) < 0) frame = in.poll(10, TimeUnit.SECONDS);
    assertThat(frame).as("a checkpoint after the last payload").isNotNull();
    assertThat(checkpointOffset(frame)).isEqualTo(last);
  }

  /** Reads frames up to one that starts with {@code prefix} (checkpoints may come before it). */
  private static void awaitFrame(LinkedBlockingQueue<String> in, String prefix) throws InterruptedException {
    String frame;
    do {
      frame = in.poll(10, TimeUnit.SECONDS);
      assertThat(frame).as("a frame starting " + prefix).isNotNull();
    } while (!frame.startsWith(prefix));
  }

  /** Reads frames up to the notification at {@code offset}. */
  private static void awaitNotification(LinkedBlockingQueue<String> in, long offset) throws InterruptedException {
    while (true) {
      String frame = in.poll(10, TimeUnit.SECONDS);
      assertThat(frame).as("the notification at offset " + offset).isNotNull();
      if (!frame.startsWith("42/chat,") || checkpointOffset(frame) >= 0) continue;
      JsonArray event = new JsonArray(frame.substring("42/chat,".length()));
      if (event.getJsonObject(1).getLong("offset") == offset) return;
    }
  }

  private static Arrival next(LinkedBlockingQueue<Arrival> in) throws InterruptedException {
    Arrival a = in.poll(10, TimeUnit.SECONDS);
    assertThat(a).as("a frame within 10 s").isNotNull();
    return a;
  }

  /** The offset an {@code ecb.offsets} event gives its socket's one stream; -1 for any other frame. */
  private static long checkpointOffset(String frame) {
    if (!frame.startsWith("42/chat,")) return -1;
    JsonArray event = new JsonArray(frame.substring("42/chat,".length()));
    if (!ChatNamespace.OFFSETS_EVENT.equals(event.getString(0))) return -1;
    return new JsonArray(event.getString(1)).getJsonObject(0).getLong("o");
  }

  @Test
  void aWebSocketPacketPastMaxPayloadClosesTheConnection() {
    LinkedBlockingQueue<String> in = new LinkedBlockingQueue<>();
    Promise<Short> closed = Promise.promise();
    WebSocket ws = webSocket(webSockets, node.port(), in, closed);
    ws.writeTextMessage("40/chat,{}").await();
    ws.writeTextMessage("42/chat,[\"getThreads\",{\"x\":\"" + "z".repeat(70_000) + "\"}]");
    assertThat(closed.future().await()).isNotNull();
  }

  @Test
  void aStoppingNodeClosesItsSessionsSoClientsReconnectElsewhere() throws Exception {
    TestNode other = TestNode.start(TestNode.config(TestNode.newClusterName(), backend.url(), TestKeys.rsa())).await();
    LinkedBlockingQueue<String> in = new LinkedBlockingQueue<>();
    Promise<Short> closed = Promise.promise();
    webSocket(webSockets, other.port(), in, closed);
    assertThat(in.poll(10, TimeUnit.SECONDS)).startsWith("0{");

    String sid = new JsonObject(http.get(other.port(), "127.0.0.1", PATH).send().await().bodyAsString().substring(1)).getString("sid");
    Future<HttpResponse<Buffer>> waiting = http.get(other.port(), "127.0.0.1", PATH + "&sid=" + sid).send();
    assertThat(other.node.socketIo().connectionCount()).isEqualTo(2);
    EngineSession polling = other.node.socketIo().sessions.get(sid);
    while (!polling.pollWaiting().await()) Thread.onSpinWait();

    other.close().await();
    assertThat(closed.future().await()).isEqualTo((short) 4000);
    HttpResponse<Buffer> last = waiting.await();
    assertThat(last.statusCode()).isEqualTo(200);
    assertThat(last.body().toString(StandardCharsets.UTF_8)).isEqualTo("1");
  }

  // Failed token checks (SPEC 3b, 8): each test presents its bad tokens from its own loopback
  // address, so no other test inherits a spent address budget.

  private long signatureChecks() {
    return node.node.chat().tokens().signatureChecks.sum();
  }

  private static String connectWith(String userToken) {
    return "40/chat," + new JsonObject().put("userToken", userToken).encode();
  }

  /** The code of a /chat CONNECT_ERROR packet, checking its shape. */
  private static String connectErrorCode(String packet) {
    assertThat(packet).startsWith("44/chat,");
    JsonObject error = new JsonObject(packet.substring("44/chat,".length()));
    assertThat(error.getString("message")).isEqualTo(error.getJsonObject("data").getString("code"));
    return error.getString("message");
  }

  @Test
  void aWebSocketPastItsFailedTokenChecksGetsRateLimitedAndIsClosed() throws Exception {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setLocalAddress("127.0.0.5"));
    try {
      LinkedBlockingQueue<String> in = new LinkedBlockingQueue<>();
      Promise<Short> closed = Promise.promise();
      WebSocket ws = webSocket(client, node.port(), in, closed);
      assertThat(in.poll(10, TimeUnit.SECONDS)).startsWith("0{");
      long before = signatureChecks();
      String bad = backend.badlySignedUserToken("u-bad");
      List<String> codes = new ArrayList<>();
      // The budget refills while the test runs: keep going until it is spent, within reason.
      while (codes.isEmpty() || codes.get(codes.size() - 1).equals("UNAUTHORIZED")) {
        assertThat(codes).as("refused past the budget").hasSizeLessThan(10 * FAILED_AUTH_PER_SECOND);
        ws.writeTextMessage(connectWith(bad)).await();
        String answer = in.poll(10, TimeUnit.SECONDS);
        assertThat(answer).as("an answer to CONNECT %d", codes.size() + 1).isNotNull();
        codes.add(connectErrorCode(answer));
      }
      assertThat(codes.subList(0, FAILED_AUTH_PER_SECOND)).containsOnly("UNAUTHORIZED");
      assertThat(codes.get(codes.size() - 1)).isEqualTo("RATE_LIMITED");
      assertThat(closed.future().await()).isEqualTo(EngineSession.AUTH_FAILURES);
      // The refused CONNECT cost no signature check.
      assertThat(signatureChecks() - before).isEqualTo(codes.size() - 1);
      assertThat(in).isEmpty();
    } finally {
      client.close().await();
    }
  }

  @Test
  void aPollingSessionPastItsFailedTokenChecksGetsRateLimitedAndEnds() {
    WebClient client = WebClient.create(vertx, new WebClientOptions().setLocalAddress("127.0.0.6"));
    try {
      HttpResponse<Buffer> opened = client.get(node.port(), "127.0.0.1", PATH).send().await();
      String sid = new JsonObject(opened.bodyAsString().substring(1)).getString("sid");
      String bad = backend.badlySignedUserToken("u-bad");
      List<String> codes = new ArrayList<>();
      while (codes.isEmpty() || codes.get(codes.size() - 1).equals("UNAUTHORIZED")) {
        assertThat(codes).as("refused past the budget").hasSizeLessThan(10 * FAILED_AUTH_PER_SECOND);
        HttpResponse<Buffer> posted = client.post(node.port(), "127.0.0.1", PATH + "&sid=" + sid)
          .sendBuffer(Buffer.buffer(connectWith(bad))).await();
        assertThat(posted.bodyAsString()).isEqualTo("ok");
        HttpResponse<Buffer> polled = client.get(node.port(), "127.0.0.1", PATH + "&sid=" + sid).send().await();
        assertThat(polled.statusCode()).isEqualTo(200);
        List<String> packets = EngineIo.decodePayload(polled.bodyAsString());
        assertThat(packets).hasSize(1);
        codes.add(connectErrorCode(packets.get(0)));
      }
      assertThat(codes.subList(0, FAILED_AUTH_PER_SECOND)).containsOnly("UNAUTHORIZED");
      assertThat(codes.get(codes.size() - 1)).isEqualTo("RATE_LIMITED");
      // The answer was the session's last packet: it is gone.
      assertError(client.get(node.port(), "127.0.0.1", PATH + "&sid=" + sid).send().await(), 400, 1);
      assertThat(node.node.socketIo().sessions).doesNotContainKey(sid);
    } finally {
      client.close();
    }
  }
}
