package io.ecb.http;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node behind a proxy ({@code http.trustedProxies} 127.0.0.2/32): failed token checks are
 * counted per client that the proxy's {@code X-Forwarded-For} names, so one client's bad tokens do
 * not get every other client behind the proxy refused; the same headers from another peer
 * (127.0.0.3) are ignored, as are entries a client writes itself; and the proxy's own connections
 * are not capped by {@code limits.connectionsPerIp}.
 */
@Timeout(120)
class TrustedProxiesTest extends NodeTestBase {

  private static final String PROXY = "127.0.0.2";
  private static final String STRANGER = "127.0.0.3";
  private static final int CONNECTIONS = 8;

  private WebClient viaProxy;
  private WebClient fromStranger;

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("http").put("trustedProxies", List.of(PROXY + "/32"));
    config.getJsonObject("limits").put("connectionsPerIp", CONNECTIONS);
  }

  @BeforeAll
  void clients() {
    // Their pools (5 connections each) stay under the cap, so the stranger is not refused for it.
    viaProxy = WebClient.create(vertx, new WebClientOptions().setLocalAddress(PROXY));
    fromStranger = WebClient.create(vertx, new WebClientOptions().setLocalAddress(STRANGER));
  }

  @AfterAll
  void closeClients() {
    viaProxy.close();
    fromStranger.close();
  }

  private Future<HttpResponse<Buffer>> contacts(WebClient client, String token, String xForwardedFor) {
    return client.get(node.port(), "127.0.0.1", "/api/v1/contacts").putHeader("Authorization", "Bearer " + token)
      .putHeader("X-Forwarded-For", xForwardedFor).send();
  }

  private static List<Integer> statuses(List<Future<HttpResponse<Buffer>>> sent) {
    Future.join(new ArrayList<>(sent)).await();
    return sent.stream().map(f -> f.result().statusCode()).toList();
  }

  /**
   * Client A floods bad tokens through the proxy; interleaved with the flood, so that A's budget
   * stays spent throughout, client B's requests through the same proxy are checked against B's
   * own budget: its bad tokens get 401 (not 429), its fresh valid tokens are served.
   */
  @Test
  void clientsBehindTheProxyAreCountedSeparately() {
    String bad = backend.badlySignedUserToken("u1");
    List<Future<HttpResponse<Buffer>>> a = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> bBad = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> bGood = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 30; i++) a.add(contacts(viaProxy, bad, "198.51.100.1"));
      bBad.add(contacts(viaProxy, bad, "198.51.100.2"));
      bGood.add(contacts(viaProxy, backend.freshUserToken("u2", round), "198.51.100.2"));
    }
    assertThat(statuses(a)).containsOnly(401, 429).contains(429);
    assertThat(statuses(bBad)).containsOnly(401);
    assertThat(statuses(bGood)).containsOnly(200);
  }

  /**
   * The same headers from a peer that is no trusted proxy name nothing: every request counts
   * against 127.0.0.3, so the second "client" is refused along with the first.
   */
  @Test
  void forwardingHeadersFromAnUntrustedPeerAreIgnored() {
    String bad = backend.badlySignedUserToken("u1");
    List<Future<HttpResponse<Buffer>>> a = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> b = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 30; i++) a.add(contacts(fromStranger, bad, "198.51.100.11"));
      b.add(contacts(fromStranger, backend.freshUserToken("u2", 100 + round), "198.51.100.12"));
    }
    assertThat(statuses(a)).contains(429);
    assertThat(statuses(b)).contains(429);
  }

  /**
   * A client that writes its own X-Forwarded-For (a new address on every request) before the
   * proxy appends the address it sees is still counted as that one address, and refused; a
   * client that only passes the same proxy is not.
   */
  @Test
  void entriesAClientWritesItselfAreIgnored() {
    String bad = backend.badlySignedUserToken("u1");
    List<Future<HttpResponse<Buffer>>> spoofer = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> other = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 30; i++) {
        String spoofed = "10." + round + "." + i + ".1";
        spoofer.add(contacts(viaProxy, bad, spoofed + ", 198.51.100.21"));
      }
      // The Forwarded header is read the same way when a proxy sends it instead.
      other.add(viaProxy.get(node.port(), "127.0.0.1", "/api/v1/contacts").putHeader("Authorization", "Bearer " + bad)
        .putHeader("Forwarded", "for=198.51.100.21, for=\"198.51.100.22\"").send());
    }
    assertThat(statuses(spoofer)).containsOnly(401, 429).contains(429);
    assertThat(statuses(other)).containsOnly(401);
  }

  /**
   * A bridge socket is charged against the client its upgrade request names: client A floods bad
   * tokens over twenty sockets through the proxy, each within its own budget but together far over
   * A's; meanwhile client B's socket through the same proxy is checked against B's budget.
   */
  @Test
  void aBridgeSocketCountsAgainstTheClientOfItsUpgradeRequest() {
    Map<String, String> clientA = Map.of("X-Forwarded-For", "198.51.100.31");
    List<BridgeClient> a = new ArrayList<>();
    for (int i = 0; i < 20; i++) a.add(BridgeClient.connectFrom(vertx, node.port(), PROXY, clientA).await());
    BridgeClient b = BridgeClient.connectFrom(vertx, node.port(), PROXY, Map.of("X-Forwarded-For", "198.51.100.32")).await();
    String bad = backend.badlySignedUserToken("u1");
    List<Future<JsonObject>> aReplies = new ArrayList<>();
    List<Future<JsonObject>> bBad = new ArrayList<>();
    List<Future<JsonObject>> bGood = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      for (BridgeClient s : a) {
        for (int i = 0; i < 3; i++) aReplies.add(s.request("ecb.getContacts", new JsonObject().put("userToken", bad), new JsonObject()));
      }
      bBad.add(b.request("ecb.getContacts", new JsonObject().put("userToken", bad), new JsonObject()));
      bGood.add(b.request("ecb.getContacts", new JsonObject().put("userToken", backend.freshUserToken("u2", 200 + round)), new JsonObject()));
    }
    Future.join(new ArrayList<>(aReplies)).otherwiseEmpty().await();
    Future.join(new ArrayList<>(bBad)).otherwiseEmpty().await();
    Future.join(new ArrayList<>(bGood)).otherwiseEmpty().await();
    assertThat(aReplies).allMatch(Future::failed);
    assertThat(aReplies.stream().map(r -> ((BridgeClient.Failure) r.cause()).code())).contains("RATE_LIMITED");
    assertThat(bBad).allSatisfy(r -> assertThat(((BridgeClient.Failure) r.cause()).code()).isEqualTo("UNAUTHORIZED"));
    assertThat(bGood).allSatisfy(r -> assertThat(r.succeeded()).as("%s", r.cause()).isTrue());
    a.forEach(BridgeClient::close);
    b.close().await();
  }

  /**
   * The proxy holds more connections than {@code limits.connectionsPerIp} at once, and each is
   * served; another address is still capped.
   */
  @Test
  void theTrustedProxysConnectionsAreNotCapped() {
    int open = CONNECTIONS * 3;
    long refusedBefore = node.node.connections().refused.sum();
    NetClient proxy = vertx.createNetClient(new NetClientOptions().setLocalAddress(PROXY));
    List<Future<String>> answers = new ArrayList<>();
    // Kept alive after their answers, so all of them are open together.
    for (int i = 0; i < open; i++) answers.add(health(proxy));
    for (Future<String> answer : answers) assertThat(answer.await()).startsWith("HTTP/1.1 200");
    assertThat(node.node.connections().refused.sum()).isEqualTo(refusedBefore);

    NetClient stranger = vertx.createNetClient(new NetClientOptions().setLocalAddress("127.0.0.4"));
    List<Future<String>> capped = new ArrayList<>();
    for (int i = 0; i < open; i++) capped.add(health(stranger));
    Future.join(new ArrayList<>(capped)).otherwiseEmpty().await();
    assertThat(capped.stream().filter(Future::succeeded).count()).isEqualTo(CONNECTIONS);
    proxy.close().await();
    stranger.close().await();
  }

  /** A new connection asking {@code GET /health}: the response's head, or a failure if the server closes it first. */
  private Future<String> health(NetClient client) {
    Promise<String> answer = Promise.promise();
    Buffer received = Buffer.buffer();
    client.connect(node.port(), "127.0.0.1").onFailure(answer::tryFail).onSuccess(socket -> {
      socket.handler(b -> {
        received.appendBuffer(b);
        if (received.toString().contains("\r\n\r\n")) answer.tryComplete(received.toString());
      });
      socket.closeHandler(v -> answer.tryFail("closed"));
      socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    });
    return answer.future();
  }
}
