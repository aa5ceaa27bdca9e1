package io.ecb.backend;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend;
import io.ecb.support.StubBackend.Reply;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The webhooks of SPEC section 5 as a user of ECB sees them: a real node's bridge and HTTP API in
 * front, the customer backend ({@link StubBackend}, or a raw HTTP server of this test where the
 * exact bytes on the wire matter) behind.
 */
@Timeout(60)
class WebhookTest extends NodeTestBase {

  static final String THREAD = "t-hooks";
  static final List<String> OPERATIONS = List.of("getUserToken", "getContacts", "getThreads", "createThread", "getThread", "addThreadMessage");
  static final Set<String> READS = Set.of("getContacts", "getThreads", "getThread");
  static final long TIMEOUT_MS = 800;
  static final long GET_THREAD_TIMEOUT_MS = 250;
  static final String SECRET_2 = "next-webhook-secret";
  static final JsonObject U7 = new JsonObject().put("userId", "u7").put("displayName", "User Seven")
    .put("data", new JsonObject().put("tier", "gold").put("seats", 3));
  static final JsonObject U1 = new JsonObject().put("userId", "u1").put("displayName", "User 1");

  /** The transports a client uses. */
  enum Via { BRIDGE, HTTP }

  /** What a client got: the reply (status 200), or the error's status and {@code {code, message}}. */
  record Outcome(String operation, JsonObject reply, int status, JsonObject error, long elapsedMs) {
    boolean ok() {
      return reply != null;
    }

    String code() {
      return error == null ? null : error.getString("code");
    }
  }

  /**
   * A client of one node that performs, for each webhook operation, the client operation that
   * leads to it (sendMessage for addThreadMessage), over the bridge or over HTTP.
   */
  static final class Client {
    final Vertx vertx;
    final StubBackend tokens;
    final int port;
    final WebClient http;
    final BridgeClient bridge;
    volatile String lastClientMessageId;

    Client(Vertx vertx, StubBackend tokens, int port) {
      this.vertx = vertx;
      this.tokens = tokens;
      this.port = port;
      this.http = WebClient.create(vertx);
      this.bridge = BridgeClient.connect(vertx, port).await();
    }

    Future<Outcome> start(Via via, String operation, String userId) {
      String userToken = tokens.userToken(userId);
      String threadToken = tokens.threadToken(THREAD, userId, "u2");
      JsonObject text = new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hello"));
      JsonObject body = switch (operation) {
        case "getUserToken" -> new JsonObject().put("accessToken", "access-" + userId);
        case "createThread" -> new JsonObject().put("memberIds", new JsonArray().add("u2"))
          .put("data", new JsonObject().put("topic", "billing")).put("message", text);
        case "addThreadMessage" -> {
          lastClientMessageId = "cm-" + UUID.randomUUID();
          yield new JsonObject().put("message", text).put("clientMessageId", lastClientMessageId);
        }
        default -> new JsonObject();
      };
      long start = System.nanoTime();
      Future<Outcome> result = via == Via.BRIDGE ? viaBridge(operation, userToken, threadToken, body) : viaHttp(operation, userToken, threadToken, body);
      return result.map(o -> new Outcome(operation, o.reply(), o.status(), o.error(), (System.nanoTime() - start) / 1_000_000));
    }

    Outcome call(Via via, String operation, String userId) {
      return start(via, operation, userId).await();
    }

    Outcome call(Via via, String operation) {
      return call(via, operation, "u1");
    }

    private Future<Outcome> viaBridge(String operation, String userToken, String threadToken, JsonObject body) {
      String address = "ecb." + (operation.equals("addThreadMessage") ? "sendMessage" : operation);
      JsonObject headers = switch (operation) {
        case "getUserToken" -> null;
        case "getThread", "addThreadMessage" -> new JsonObject().put("userToken", userToken).put("threadToken", threadToken);
        default -> new JsonObject().put("userToken", userToken);
      };
      return bridge.request(address, headers, body).transform(ar -> {
        if (ar.succeeded()) return Future.succeededFuture(new Outcome(operation, ar.result(), 200, null, 0));
        if (ar.cause() instanceof BridgeClient.Failure f) return Future.succeededFuture(new Outcome(operation, null, f.failureCode, f.error, 0));
        return Future.failedFuture(ar.cause());
      });
    }

    private Future<Outcome> viaHttp(String operation, String userToken, String threadToken, JsonObject body) {
      HttpRequest<Buffer> request = switch (operation) {
        case "getUserToken" -> http.post(port, "127.0.0.1", "/api/v1/user-token");
        case "getContacts" -> http.get(port, "127.0.0.1", "/api/v1/contacts");
        case "getThreads" -> http.get(port, "127.0.0.1", "/api/v1/threads");
        case "createThread" -> http.post(port, "127.0.0.1", "/api/v1/threads");
        case "getThread" -> http.get(port, "127.0.0.1", "/api/v1/threads/" + THREAD);
        case "addThreadMessage" -> http.post(port, "127.0.0.1", "/api/v1/threads/" + THREAD + "/messages");
        default -> throw new IllegalArgumentException(operation);
      };
      if (!operation.equals("getUserToken")) request.putHeader("Authorization", "Bearer " + userToken);
      if (operation.equals("getThread") || operation.equals("addThreadMessage")) request.putHeader("X-Thread-Token", threadToken);
      Future<HttpResponse<Buffer>> sent = request.method().name().equals("GET") ? request.send() : request.sendJsonObject(body);
      return sent.map(resp -> {
        assertThat(resp.getHeader("Content-Type")).as(operation + " Content-Type").startsWith("application/json");
        JsonObject json = resp.bodyAsJsonObject();
        return resp.statusCode() == 200
          ? new Outcome(operation, json, 200, null, 0)
          : new Outcome(operation, null, resp.statusCode(), json.getJsonObject("error"), 0);
      });
    }

    void close() {
      bridge.close().await();
      http.close();
    }
  }

  /** One request the raw backend received: its method, path, headers and the exact body bytes. */
  record RawCall(String method, String path, MultiMap headers, byte[] body) {
    String operation() {
      return path.substring(path.lastIndexOf('/') + 1);
    }
  }

  /** An answer of the raw backend; a null answer means never answer. */
  record RawReply(int status, String body) {
  }

  Client client;

  // A second node whose backend is this test's own HTTP server and which signs with two secrets.
  TestNode rawNode;
  Client rawClient;
  HttpServer rawServer;
  int rawPort;
  final List<RawCall> rawCalls = java.util.Collections.synchronizedList(new ArrayList<>());
  volatile Function<String, RawReply> rawAnswer;

  static void tune(JsonObject config) {
    JsonObject b = config.getJsonObject("backend");
    b.put("timeoutMs", TIMEOUT_MS)
      .put("timeouts", new JsonObject().put("getThread", GET_THREAD_TIMEOUT_MS));
    JsonObject limits = config.getJsonObject("limits");
    if (limits == null) config.put("limits", limits = new JsonObject());
    limits.put("requestsPerSecond", 10_000).put("requestBurst", 10_000);
  }

  @Override
  protected void configure(JsonObject config) {
    tune(config);
    noBreaker(config);
  }

  /** 5xx and timeouts in this class must not open the breaker (CircuitBreakerTest covers it). */
  static void noBreaker(JsonObject config) {
    config.getJsonObject("backend").put("circuitBreaker", new JsonObject().put("maxFailures", 100_000).put("resetMs", 1000));
  }

  @BeforeAll
  void startClientsAndRawBackend() {
    backend.users.put("u7", U7.copy());
    client = new Client(vertx, backend, node.port());
    rawServer = listenRaw(0);
    rawPort = rawServer.actualPort();
    JsonObject config = TestNode.config(TestNode.newClusterName(), "http://127.0.0.1:" + rawPort + "/raw", TestKeys.rsa());
    tune(config);
    noBreaker(config);
    config.getJsonObject("backend").put("webhookSecret", new JsonArray().add(StubBackend.SECRET).add(SECRET_2));
    rawNode = TestNode.start(config).await();
    rawClient = new Client(vertx, backend, rawNode.port());
  }

  private HttpServer listenRaw(int port) {
    return vertx.createHttpServer().requestHandler(this::onRaw).listen(port, "127.0.0.1").await();
  }

  private void onRaw(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      RawCall call = new RawCall(req.method().name(), req.path(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), body.getBytes());
      rawCalls.add(call);
      Function<String, RawReply> answer = rawAnswer;
      RawReply reply = answer == null ? new RawReply(500, "{}") : answer.apply(call.operation());
      if (reply == null) return;
      req.response().setStatusCode(reply.status()).putHeader("Content-Type", "application/json").end(reply.body());
    });
  }

  @BeforeEach
  void resetModel() {
    backend.addThread(THREAD, "u1", "u2", "u7");
    rawCalls.clear();
    rawAnswer = null;
  }

  @AfterAll
  void stopRawNode() {
    if (client != null) client.close();
    if (rawClient != null) rawClient.close();
    if (rawNode != null) rawNode.close().await();
    if (rawServer != null) rawServer.close().await();
  }

  // ---- the requests ECB sends

  static JsonObject expectedBody(String operation, JsonObject user, String clientMessageId) {
    JsonObject text = new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hello"));
    return switch (operation) {
      case "getUserToken" -> new JsonObject().put("accessToken", "access-" + user.getString("userId"));
      case "getContacts", "getThreads" -> new JsonObject().put("user", user);
      case "createThread" -> new JsonObject().put("user", user).put("memberIds", new JsonArray().add("u2"))
        .put("data", new JsonObject().put("topic", "billing")).put("message", text);
      case "getThread" -> new JsonObject().put("user", user).put("threadId", THREAD);
      case "addThreadMessage" -> new JsonObject().put("user", user).put("threadId", THREAD).put("message", text)
        .put("clientMessageId", clientMessageId);
      default -> throw new IllegalArgumentException(operation);
    };
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void everyWebhookIsASignedJsonPostOfTheSpecBody(Via via) {
    Set<String> requestIds = new HashSet<>();
    for (String op : OPERATIONS) {
      long before = System.currentTimeMillis() / 1000;
      Outcome o = client.call(via, op, "u7");
      long after = System.currentTimeMillis() / 1000;
      assertThat(o.ok()).as(op + " " + o).isTrue();
      assertThat(backend.count(op)).as(op + " calls").isEqualTo(1);
      StubBackend.Call call = backend.last(op);
      assertThat(call.body()).as(op + " body").isEqualTo(expectedBody(op, U7, client.lastClientMessageId));
      assertThat(call.signatureValid()).as(op + " signature").isTrue();
      assertThat(call.headers().get("Content-Type")).as(op).startsWith("application/json");
      String id = call.headers().get("ECB-Request-Id");
      assertThat(id).as(op + " ECB-Request-Id, a version 4 UUID").matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
      assertThat(requestIds.add(id)).as(op + " request id is new").isTrue();
      assertThat(Long.parseLong(call.headers().get("ECB-Timestamp"))).as(op + " ECB-Timestamp").isBetween(before, after);
      assertThat(call.headers().get("ECB-Signature")).as(op).matches("v1=[0-9a-f]{64},v2=[0-9a-f]{64}");
    }
    assertThat(requestIds).hasSize(6);
  }

  @Test
  void theUserObjectOmitsDataWhenTheTokenHasNone() {
    assertThat(client.call(Via.HTTP, "getContacts").ok()).isTrue();
    assertThat(backend.last("getContacts").body()).isEqualTo(new JsonObject().put("user", U1));
    assertThat(client.call(Via.BRIDGE, "getThread").ok()).isTrue();
    assertThat(backend.last("getThread").body()).isEqualTo(new JsonObject().put("user", U1).put("threadId", THREAD));
  }

  @Test
  void theUserComesFromTheVerifiedTokenNotFromTheRequestBody() {
    JsonObject spoof = new JsonObject().put("userId", "u2").put("displayName", "Mallory");
    BridgeClient c = client.bridge;
    c.request("ecb.getContacts", user("u1"), new JsonObject().put("user", spoof)).await();
    assertThat(backend.last("getContacts").body()).isEqualTo(new JsonObject().put("user", U1));

    HttpResponse<Buffer> resp = http.post(node.port(), "127.0.0.1", "/api/v1/threads")
      .putHeader("Authorization", "Bearer " + backend.userToken("u7"))
      .sendJsonObject(new JsonObject().put("user", spoof).put("memberIds", new JsonArray().add("u2"))
        .put("data", new JsonObject().put("topic", "billing"))
        .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hello"))))
      .await();
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(backend.last("createThread").body()).isEqualTo(expectedBody("createThread", U7, null));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void theSignatureCoversTheExactBodyBytesWithEveryConfiguredSecret(Via via) {
    rawAnswer = this::validRawReply;
    for (String op : OPERATIONS) {
      rawCalls.clear();
      long before = System.currentTimeMillis() / 1000;
      Outcome o = rawClient.call(via, op, "u7");
      long after = System.currentTimeMillis() / 1000;
      assertThat(o.ok()).as(op + " " + o).isTrue();
      assertThat(rawCalls).as(op).hasSize(1);
      RawCall call = rawCalls.get(0);
      assertThat(call.method()).as(op).isEqualTo("POST");
      assertThat(call.path()).as(op).isEqualTo("/raw/" + op);
      assertThat(call.headers().get("Content-Type")).as(op).startsWith("application/json");
      assertThat(new JsonObject(Buffer.buffer(call.body()))).as(op + " body").isEqualTo(expectedBody(op, U7, rawClient.lastClientMessageId));
      String timestamp = call.headers().get("ECB-Timestamp");
      assertThat(timestamp).as(op).matches("[0-9]+");
      assertThat(Long.parseLong(timestamp)).as(op + " ECB-Timestamp").isBetween(before, after);
      String requestId = call.headers().get("ECB-Request-Id");
      assertThat(requestId).as(op).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
      String signature = call.headers().get("ECB-Signature");
      assertThat(signature).as(op + " ECB-Signature").matches("v1=[0-9a-f]{64},v1=[0-9a-f]{64},v2=[0-9a-f]{64},v2=[0-9a-f]{64}");
      assertThat(signature.split(",")).as(op + " one signature per version and secret").containsExactlyInAnyOrder(
        "v1=" + hmac(StubBackend.SECRET, timestamp, call.body()),
        "v1=" + hmac(SECRET_2, timestamp, call.body()),
        "v2=" + hmac(StubBackend.SECRET, timestamp + "." + requestId + "." + op, call.body()),
        "v2=" + hmac(SECRET_2, timestamp + "." + requestId + "." + op, call.body()));
    }
  }

  /**
   * HMAC-SHA256(secret, prefix + "." + body) in lower-case hex, computed here independently of
   * ECB: v1's prefix is the timestamp, v2's is timestamp + "." + requestId + "." + operation.
   */
  static String hmac(String secret, String timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] prefix = (timestamp + ".").getBytes(StandardCharsets.UTF_8);
      byte[] signed = new byte[prefix.length + body.length];
      System.arraycopy(prefix, 0, signed, 0, prefix.length);
      System.arraycopy(body, 0, signed, prefix.length, body.length);
      return HexFormat.of().formatHex(mac.doFinal(signed));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private RawReply validRawReply(String op) {
    JsonObject thread = backend.thread(THREAD);
    JsonObject message = new JsonObject().put("messageId", "m-raw").put("fromUserId", "u7")
      .put("creationTime", 1_700_000_000_000L).put("type", "text").put("data", new JsonObject().put("messageText", "hello"));
    Object body = switch (op) {
      case "getUserToken" -> new JsonObject().put("userToken", backend.userToken("u7"));
      case "getContacts" -> new JsonArray().add(U1);
      case "getThreads" -> new JsonArray().add(thread);
      case "createThread", "getThread" -> new JsonObject().put("thread", thread).put("messages", new JsonArray().add(message));
      case "addThreadMessage" -> new JsonObject().put("thread", thread).put("message", message);
      default -> null;
    };
    return new RawReply(200, io.vertx.core.json.Json.encode(body));
  }

  // ---- 4xx passes through

  @ParameterizedTest
  @EnumSource(Via.class)
  void aClientErrorOfTheBackendPassesThroughWithItsCodeAndMessage(Via via) {
    Map<Integer, String> codes = new LinkedHashMap<>();
    codes.put(400, "BAD_REQUEST");
    codes.put(403, "FORBIDDEN");
    codes.put(404, "NOT_FOUND");
    codes.put(409, "CONFLICT");
    for (String op : OPERATIONS) {
      for (Map.Entry<Integer, String> e : codes.entrySet()) {
        backend.reset();
        String message = "backend says " + e.getKey() + " to " + op;
        backend.on(op, req -> Future.succeededFuture(Reply.error(e.getKey(), message)));
        Outcome o = client.call(via, op);
        assertThat(o.status()).as(op + " " + e.getKey() + " " + o).isEqualTo(e.getKey());
        assertThat(o.error()).as(op + " " + e.getKey()).isEqualTo(new JsonObject().put("code", e.getValue()).put("message", message));
        assertThat(backend.count(op)).as(op + " " + e.getKey() + ": a 4xx is not retried").isEqualTo(1);
      }
    }
  }

  // ---- 5xx, invalid JSON, refused connections, timeouts

  @ParameterizedTest
  @EnumSource(Via.class)
  void aServerErrorIsBackendErrorAndOnlyReadsAreRetriedOnce(Via via) {
    for (int status : new int[]{500, 503}) {
      for (String op : OPERATIONS) {
        backend.reset();
        backend.on(op, req -> Future.succeededFuture(Reply.error(status, "backend broke")));
        Outcome o = client.call(via, op);
        assertBackendFault(o, 502, "BACKEND_ERROR");
        assertThat(backend.count(op)).as(op + " after " + status).isEqualTo(READS.contains(op) ? 2 : 1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aReadSucceedsWhenItsRetrySucceeds(Via via) {
    JsonObject contact = new JsonObject().put("userId", "x1").put("displayName", "Retried Contact");
    JsonObject message = new JsonObject().put("messageId", "m-retried").put("fromUserId", "u2")
      .put("creationTime", 1_700_000_000_000L).put("type", "text").put("data", new JsonObject().put("messageText", "second try"));
    for (String op : READS) {
      backend.reset();
      AtomicInteger attempts = new AtomicInteger();
      backend.on(op, req -> Future.succeededFuture(attempts.incrementAndGet() == 1
        ? Reply.error(502, "flaky")
        : Reply.ok(switch (op) {
          case "getContacts" -> new JsonArray().add(contact);
          case "getThreads" -> new JsonArray().add(backend.thread(THREAD));
          default -> new JsonObject().put("thread", backend.thread(THREAD)).put("messages", new JsonArray().add(message));
        })));
      Outcome o = client.call(via, op);
      assertThat(o.ok()).as(op + " " + o).isTrue();
      assertThat(backend.count(op)).as(op).isEqualTo(2);
      switch (op) {
        case "getContacts" -> assertThat(o.reply().getJsonArray("items")).isEqualTo(new JsonArray().add(contact));
        case "getThreads" -> assertThat(o.reply().getJsonArray("items").getJsonObject(0).getString("threadId")).isEqualTo(THREAD);
        default -> assertThat(o.reply().getJsonArray("messages")).isEqualTo(new JsonArray().add(message));
      }
      // both attempts carry the same, correctly signed request
      assertThat(backend.calls).allSatisfy(c -> {
        assertThat(c.signatureValid()).isTrue();
        assertThat(c.body()).isEqualTo(expectedBody(op, U1, null));
      });
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aReadIsRetriedOnceAfterATimeoutAndTheRetryCanSucceed(Via via) {
    for (String op : READS) {
      backend.reset();
      List<Long> arrivals = java.util.Collections.synchronizedList(new ArrayList<>());
      backend.on(op, req -> {
        arrivals.add(System.nanoTime());
        if (arrivals.size() == 1) return Future.succeededFuture(null); // never answer
        return Future.succeededFuture(Reply.ok(switch (op) {
          case "getContacts" -> new JsonArray().add(U7);
          case "getThreads" -> new JsonArray().add(backend.thread(THREAD));
          default -> new JsonObject().put("thread", backend.thread(THREAD)).put("messages", new JsonArray());
        }));
      });
      Outcome o = client.call(via, op);
      assertThat(o.ok()).as(op + " " + o).isTrue();
      assertThat(backend.count(op)).as(op).isEqualTo(2);
      long timeout = op.equals("getThread") ? GET_THREAD_TIMEOUT_MS : TIMEOUT_MS;
      long gapMs = (arrivals.get(1) - arrivals.get(0)) / 1_000_000;
      // The timeout runs from when the first attempt is sent, and that attempt may reach the stub
      // late (a new connection, the stub's signature checks on a busy machine): the gap can be
      // shorter than the timeout, but a retry that does not wait for it comes at once.
      assertThat(gapMs).as(op + ": the retry follows the timeout").isBetween(timeout / 2, timeout + 500);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aBackendThatNeverAnswersGivesBackendTimeoutAfterThePerOperationTimeout(Via via) {
    for (String op : OPERATIONS) backend.on(op, req -> Future.succeededFuture(null));
    // All six at once, so the class does not wait for them one after the other.
    List<Future<Outcome>> pending = new ArrayList<>();
    for (String op : OPERATIONS) pending.add(client.start(via, op, "u1"));
    Future.all(pending).await();
    for (Future<Outcome> f : pending) {
      Outcome o = f.result();
      String op = o.operation();
      int attempts = READS.contains(op) ? 2 : 1;
      long timeout = op.equals("getThread") ? GET_THREAD_TIMEOUT_MS : TIMEOUT_MS;
      assertBackendFault(o, 504, "BACKEND_TIMEOUT");
      assertThat(backend.count(op)).as(op + " attempts").isEqualTo(attempts);
      assertThat(o.elapsedMs()).as(op + " elapsed").isBetween(attempts * timeout - 50, attempts * timeout + 700);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void invalidJsonInASuccessfulAnswerIsBackendError(Via via) {
    for (String body : new String[]{"{\"userToken\": ", "<html>oops</html>"}) {
      rawAnswer = op -> new RawReply(200, body);
      for (String op : OPERATIONS) {
        rawCalls.clear();
        Outcome o = rawClient.call(via, op, "u7");
        assertBackendFault(o, 502, "BACKEND_ERROR");
        if (READS.contains(op)) assertThat(rawCalls).as(op).hasSizeBetween(1, 2);
        else assertThat(rawCalls).as(op + " is never retried").hasSize(1);
      }
    }
  }

  @Test
  void aRefusedConnectionIsBackendError() {
    rawServer.close().await();
    try {
      for (Via via : Via.values()) {
        for (String op : OPERATIONS) {
          Outcome o = rawClient.call(via, op, "u7");
          assertBackendFault(o, 502, "BACKEND_ERROR");
          assertThat(o.elapsedMs()).as(op + ": a refused connection fails at once, not by timeout").isLessThan(TIMEOUT_MS);
        }
      }
      assertThat(rawCalls).isEmpty();
    } finally {
      rawServer = listenRaw(rawPort);
    }
    rawAnswer = this::validRawReply;
    assertThat(rawClient.call(Via.HTTP, "getContacts", "u7").ok()).as("backend is back").isTrue();
  }

  static void assertBackendFault(Outcome o, int status, String code) {
    assertThat(o.status()).as(o.operation() + " " + o).isEqualTo(status);
    assertThat(o.code()).as(o.operation()).isEqualTo(code);
    assertThat(o.error().fieldNames()).as(o.operation()).containsExactlyInAnyOrder("code", "message");
    assertThat(o.error().getString("message")).as(o.operation()).isNotBlank();
  }
}
