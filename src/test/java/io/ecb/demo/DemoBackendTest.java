package io.ecb.demo;

import io.ecb.backend.WebhookSignature;
import io.ecb.support.BridgeClient;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The demo customer backend on a real demo node: its accessToken is opaque and never passes for a
 * userToken (SPEC section 2), and its webhooks accept only requests with a valid v2 signature, a
 * fresh timestamp and a request id not used before (section 5).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class DemoBackendTest {

  private Vertx vertx;
  private TestNode node;
  private WebClient http;

  @BeforeAll
  void start() {
    vertx = Vertx.vertx();
    JsonObject c = TestNode.config(TestNode.newClusterName(), "", TestKeys.rsa());
    c.getJsonObject("demo").put("enabled", true);
    // Blank key, URL and secret: the demo fills in its own.
    c.getJsonObject("auth").put("publicKey", "");
    c.getJsonObject("backend").put("url", "").put("webhookSecret", new JsonArray());
    node = TestNode.start(c).await();
    http = WebClient.create(vertx);
  }

  @AfterAll
  void stop() {
    if (node != null) node.close().await();
    vertx.close().await();
  }

  private String login(String userId) {
    HttpResponse<Buffer> r = http.post(node.port(), "127.0.0.1", "/demo/login")
      .sendJsonObject(new JsonObject().put("userId", userId)).await();
    assertThat(r.statusCode()).isEqualTo(200);
    return r.bodyAsJsonObject().getString("accessToken");
  }

  private int contactsWith(String bearer) {
    return http.get(node.port(), "127.0.0.1", "/api/v1/contacts").putHeader("Authorization", "Bearer " + bearer)
      .send().await().statusCode();
  }

  @Test
  void theAccessTokenIsOpaqueAndIsNotAcceptedAsAUserToken() {
    String accessToken = login("alice");
    assertThat(accessToken).as("not a JWT").doesNotContain(".");
    assertThat(contactsWith(accessToken)).isEqualTo(401);
    BridgeClient c = BridgeClient.connect(vertx, node.port()).await();
    assertThatThrownBy(() -> c.request("ecb.getContacts", new JsonObject().put("userToken", accessToken), new JsonObject()).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("UNAUTHORIZED"));

    // It is what it is for: traded for a userToken, which works.
    JsonObject reply = c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", accessToken)).await();
    assertThat(reply.getJsonObject("user").getString("userId")).isEqualTo("alice");
    assertThat(contactsWith(reply.getString("userToken"))).isEqualTo(200);
    // An accessToken the demo never issued is refused.
    assertThatThrownBy(() -> c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", "x" + accessToken)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.code()).isEqualTo("UNAUTHORIZED"));
    c.close().await();
  }

  @Test
  void theDemosThreadTokenIsNotAcceptedAsAUserToken() {
    BridgeClient c = BridgeClient.connect(vertx, node.port()).await();
    String userToken = c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", login("bob"))).await().getString("userToken");
    JsonObject created = c.request("ecb.createThread", new JsonObject().put("userToken", userToken), new JsonObject()
      .put("memberIds", new JsonArray().add("carol"))
      .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hi")))).await();
    String threadToken = created.getJsonObject("thread").getString("threadToken");
    assertThat(contactsWith(threadToken)).isEqualTo(401);
    c.close().await();
  }

  @Test
  void theDemoKeepsReadReceipts() {
    BridgeClient c = BridgeClient.connect(vertx, node.port()).await();
    String bob = c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", login("bob"))).await().getString("userToken");
    String carol = c.request("ecb.getUserToken", null, new JsonObject().put("accessToken", login("carol"))).await().getString("userToken");
    JsonObject created = c.request("ecb.createThread", new JsonObject().put("userToken", bob), new JsonObject()
      .put("memberIds", new JsonArray().add("carol"))
      .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hi")))).await();
    String threadToken = created.getJsonObject("thread").getString("threadToken");
    JsonObject sent = c.request("ecb.sendMessage", new JsonObject().put("userToken", bob).put("threadToken", threadToken), new JsonObject()
      .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "seen?")))).await();
    JsonObject receipt = c.request("ecb.markRead", new JsonObject().put("userToken", carol).put("threadToken", threadToken),
      new JsonObject().put("readOffset", sent.getLong("offset"))).await();
    assertThat(receipt.getString("userId")).isEqualTo("carol");
    assertThat(receipt.getLong("readOffset")).isEqualTo(sent.getLong("offset"));
    assertThat(receipt.getLong("offset")).isEqualTo(sent.getLong("offset") + 1);
    c.close().await();
  }

  // ---- webhooks, called here directly as an attacker who captured one would

  private record Signed(String operation, String requestId, String timestamp, String signature, Buffer body) {
  }

  private static Signed sign(String operation, long timestamp) {
    Buffer body = new JsonObject().put("user", new JsonObject().put("userId", "alice").put("displayName", "Alice Martin")).toBuffer();
    String ts = Long.toString(timestamp);
    String id = UUID.randomUUID().toString();
    return new Signed(operation, id, ts,
      WebhookSignature.sign(List.of(DemoBackend.WEBHOOK_SECRET), ts, id, operation, body.getBytes()), body);
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  private int post(String operation, String requestId, String timestamp, String signature, Buffer body) {
    HttpRequest<Buffer> r = http.post(node.port(), "127.0.0.1", "/demo/backend/" + operation)
      .putHeader("Content-Type", "application/json")
      .putHeader(WebhookSignature.REQUEST_ID, requestId)
      .putHeader(WebhookSignature.TIMESTAMP, timestamp)
      .putHeader(WebhookSignature.HEADER, signature);
    return r.sendBuffer(body).await().statusCode();
  }

  private int post(Signed s) {
    return post(s.operation, s.requestId, s.timestamp, s.signature, s.body);
  }

  @Test
  void aSignedRequestIsAcceptedOnceAndOnlyForItsOperation() {
    Signed s = sign("getContacts", now());
    // Sent to another operation it fails v2, although its v1 (timestamp and body only) would hold.
    assertThat(post("getThreads", s.requestId, s.timestamp, s.signature, s.body)).isEqualTo(401);
    // Under another request id it fails v2 as well.
    assertThat(post("getContacts", UUID.randomUUID().toString(), s.timestamp, s.signature, s.body)).isEqualTo(401);
    assertThat(post(s)).isEqualTo(200);
    // The same request again, within the timestamp window: a replay.
    assertThat(post(s)).isEqualTo(401);
  }

  @Test
  void v1AloneAStaleTimestampOrABadV2AreRefused() {
    Signed s = sign("getContacts", now());
    String v1Only = Arrays.stream(s.signature.split(",")).filter(p -> p.startsWith("v1=")).collect(Collectors.joining(","));
    assertThat(post("getContacts", s.requestId, s.timestamp, v1Only, s.body)).isEqualTo(401);
    String badV2 = v1Only + ",v2=" + "0".repeat(64);
    assertThat(post("getContacts", s.requestId, s.timestamp, badV2, s.body)).isEqualTo(401);
    Signed stale = sign("getContacts", now() - DemoBackend.WEBHOOK_TOLERANCE_SECONDS - 60);
    assertThat(post(stale)).isEqualTo(401);
    // The refusals above used no request id up: the genuine request still goes through once.
    assertThat(post(s)).isEqualTo(200);
  }
}
