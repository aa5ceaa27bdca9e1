package io.ecb.push.notify;

import io.ecb.cluster.ClusterSecrets;
import io.ecb.support.BridgeClient;
import io.ecb.support.ClusterTestBase;
import io.ecb.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Channel notify profile on a two-node cluster: socket tokens from {@code /authorize},
 * registrations of {@code ecb.notify.<channel>} over the bridge, and {@code POST /notify} with its
 * three targets, counted exactly across nodes.
 */
@Timeout(60)
class ChannelNotifyTest extends ClusterTestBase {

  private static final String KEY = "notify-api-key";
  private static final AtomicInteger SEQ = new AtomicInteger();


  @Override
  protected void configure(int index, JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
    config.getJsonObject("channels").put("public", new JsonArray().add("notify-public"));
  }

  // ---- helpers

  /** A user id no other test uses, so counts by user are not disturbed by other tests. */
  private static String newUser(String name) {
    return name + "-" + SEQ.incrementAndGet();
  }

  private static String newChannel(String name) {
    return name + "-" + SEQ.incrementAndGet();
  }

  private HttpResponse<Buffer> authorize(int node, String authorization) {
    var req = http.get(nodes.get(node).port(), "127.0.0.1", "/authorize");
    if (authorization != null) req.putHeader("Authorization", authorization);
    return req.send().await();
  }

  /** A socket token for a userToken whose channels claim names {@code channels}. */
  private String socketToken(int node, String userId, String... channels) {
    HttpResponse<Buffer> r = authorize(node, "Bearer " + backend.userToken(userId, new JsonArray(List.of(channels))));
    assertThat(r.statusCode()).isEqualTo(200);
    return r.bodyAsJsonObject().getString("token");
  }

  private HttpResponse<Buffer> notify(int node, JsonObject body) {
    return http.post(nodes.get(node).port(), "127.0.0.1", "/notify").sendJsonObject(body).await();
  }

  private int delivered(int node, JsonObject body) {
    HttpResponse<Buffer> r = notify(node, body.copy().put("API_KEY", KEY));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getInteger("delivered");
  }

  private BridgeClient client(int node) {
    return BridgeClient.connect(vertx, nodes.get(node).port()).await();
  }

  /** A bridge connection on {@code node} following {@code channels} as {@code userId}. */
  private BridgeClient connect(int node, String userId, String... channels) {
    BridgeClient c = client(node);
    String token = socketToken(node, userId, channels);
    for (String ch : channels) {
      c.register("ecb.notify." + ch, new JsonObject().put("token", token).put("keycloakID", userId)).await();
    }
    return c;
  }

  private static JsonObject nextBody(BridgeClient c, String channel) {
    return c.next("ecb.notify." + channel).await().getJsonObject("body");
  }

  private static JsonObject notification(Object msg) {
    return new JsonObject().put("kind", "notification").put("event", "notification").put("data", msg);
  }

  private static JsonObject claims(String token) {
    String[] parts = token.split("\\.");
    assertThat(parts).hasSize(3);
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
  }

  private static void closeAll(BridgeClient... clients) {
    for (BridgeClient c : clients) c.close().await();
  }

  // ---- /authorize

  @Test
  void authorizeIssuesAShortLivedSocketTokenForTheUserAndRefusesBadUserTokens() {
    String user = newUser("auth");
    HttpResponse<Buffer> ok = authorize(0, "Bearer " + backend.userToken(user));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.getHeader("Content-Type")).startsWith("application/json");
    JsonObject claims = claims(ok.bodyAsJsonObject().getString("token"));
    assertThat(claims.getString("sub")).isEqualTo(user);
    long now = System.currentTimeMillis() / 1000;
    assertThat(claims.getLong("exp")).isBetween(now + 290, now + 301);

    for (String bad : new String[]{null, "Bearer not-a-jwt", "Basic dTE6cA==", "Bearer " + backend.userToken(user) + "x"}) {
      HttpResponse<Buffer> r = authorize(0, bad);
      assertThat(r.statusCode()).as(String.valueOf(bad)).isEqualTo(401);
      assertThat(r.getHeader("Content-Type")).startsWith("application/json");
      assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("UNAUTHORIZED");
    }
  }

  // ---- registrations

  @Test
  void registrationsNeedAValidTokenAndTheTokensOwnKeycloakId() throws Exception {
    String user = newUser("reg");
    String other = newUser("reg-other");
    String ch = newChannel("msf");
    String address = "ecb.notify." + ch;
    String token = socketToken(0, user, ch);
    BridgeClient c = client(1); // verified on the other node: the secret is cluster-wide

    // Bad token: garbage, and a real token with a tampered payload.
    for (String bad : new String[]{"garbage", tampered(token, other), ""}) {
      assertThatThrownBy(() -> c.register(address, new JsonObject().put("token", bad).put("keycloakID", user)).await())
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
          assertThat(f.failureCode).isEqualTo(401);
          assertThat(f.code()).isEqualTo("UNAUTHORIZED");
        });
    }
    // Missing token.
    assertThatThrownBy(() -> c.register(address, new JsonObject().put("keycloakID", user)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.failureCode).isEqualTo(401));
    // Expired, though correctly signed with the cluster's secret.
    String expired = sign(new JsonObject().put("sub", user).put("aud", "ecb.notify").put("exp", System.currentTimeMillis() / 1000 - 5));
    assertThatThrownBy(() -> c.register(address, new JsonObject().put("token", expired).put("keycloakID", user)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(401);
        assertThat(f.error.getString("message")).contains("expired");
      });
    // keycloakID of someone else, or none.
    assertThatThrownBy(() -> c.register(address, new JsonObject().put("token", token).put("keycloakID", other)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
        assertThat(f.failureCode).isEqualTo(403);
        assertThat(f.code()).isEqualTo("FORBIDDEN");
      });
    assertThatThrownBy(() -> c.register(address, new JsonObject().put("token", token)).await())
      .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> assertThat(f.failureCode).isEqualTo(403));

    // None of the refused registrations took effect: nothing to deliver on that channel.
    assertThat(delivered(0, new JsonObject().put("channel", ch).put("msg", "nobody"))).isZero();

    // A correctly signed token made with the same secret is accepted, and the good token works.
    String forged = sign(new JsonObject().put("sub", user).put("aud", "ecb.notify").put("exp", System.currentTimeMillis() / 1000 + 60)
      .put("channels", new JsonArray().add(ch)));
    c.register(address, new JsonObject().put("token", token).put("keycloakID", user)).await();
    BridgeClient c2 = client(0);
    c2.register(address, new JsonObject().put("token", forged).put("keycloakID", user)).await();
    assertThat(delivered(0, new JsonObject().put("channel", ch).put("msg", "hello"))).isEqualTo(2);
    assertThat(nextBody(c, ch)).isEqualTo(notification("hello"));
    assertThat(nextBody(c2, ch)).isEqualTo(notification("hello"));
    closeAll(c, c2);
  }

  @Test
  void aSocketJoinsOnlyChannelsItsUserTokenOrTheConfigNames() {
    String user = newUser("claim");
    String allowed = newChannel("allowed");
    String other = newChannel("other");
    // The socket token carries the userToken's channels claim.
    String token = socketToken(0, user, allowed);
    assertThat(claims(token).getJsonArray("channels")).isEqualTo(new JsonArray().add(allowed));
    String none = socketToken(0, user);
    assertThat(claims(none).getJsonArray("channels")).isEqualTo(new JsonArray());

    BridgeClient c = client(1);
    JsonObject headers = new JsonObject().put("token", token).put("keycloakID", user);
    for (String[] refused : new String[][]{{other, token}, {allowed, none}, {other, none}}) {
      assertThatThrownBy(() -> c.register("ecb.notify." + refused[0], new JsonObject().put("token", refused[1]).put("keycloakID", user)).await())
        .as(refused[0])
        .isInstanceOfSatisfying(BridgeClient.Failure.class, f -> {
          assertThat(f.failureCode).isEqualTo(403);
          assertThat(f.code()).isEqualTo("FORBIDDEN");
        });
    }
    assertThat(delivered(0, new JsonObject().put("channel", other).put("msg", "x"))).isZero();
    assertThat(delivered(0, new JsonObject().put("keycloak", user).put("msg", "x"))).isZero();

    // The named channel, and a channel in channels.public even without a claim.
    c.register("ecb.notify." + allowed, headers).await();
    BridgeClient open = client(0);
    open.register("ecb.notify.notify-public", new JsonObject().put("token", none).put("keycloakID", user)).await();
    assertThat(delivered(1, new JsonObject().put("channel", allowed).put("msg", "in"))).isEqualTo(1);
    assertThat(nextBody(c, allowed)).isEqualTo(notification("in"));
    assertThat(delivered(1, new JsonObject().put("channel", "notify-public").put("msg", "all"))).isEqualTo(1);
    assertThat(nextBody(open, "notify-public")).isEqualTo(notification("all"));
    assertThat(c.pending("ecb.notify." + other)).isZero();
    closeAll(c, open);
  }

  /** Signs claims as the profile does, with the secret every node derives from the same config. */
  private String sign(JsonObject claims) throws Exception {
    byte[] key = ClusterSecrets.of(nodes.get(0).config).notifyKey();
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signed = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
      + "." + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return signed + "." + b64.encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII)));
  }

  /** The token with its payload's user replaced and the old signature kept. */
  private static String tampered(String token, String userId) {
    String[] parts = token.split("\\.");
    JsonObject claims = claims(token).put("sub", userId);
    return parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
  }

  // ---- /notify

  @Test
  void notifyIsRefusedWithoutAKnownApiKeyOrATargetOrAMessage() {
    String ch = newChannel("bad");
    HttpResponse<Buffer> noKey = notify(0, new JsonObject().put("channel", ch).put("msg", "x"));
    assertThat(noKey.statusCode()).isEqualTo(401);
    assertThat(noKey.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("UNAUTHORIZED");
    assertThat(notify(0, new JsonObject().put("API_KEY", "wrong").put("channel", ch).put("msg", "x")).statusCode()).isEqualTo(401);
    // The key in the Authorization header is not what this profile reads.
    assertThat(http.post(nodes.get(0).port(), "127.0.0.1", "/notify").putHeader("Authorization", "Bearer " + KEY)
      .sendJsonObject(new JsonObject().put("channel", ch).put("msg", "x")).await().statusCode()).isEqualTo(401);

    HttpResponse<Buffer> noTarget = notify(0, new JsonObject().put("API_KEY", KEY).put("msg", "x"));
    assertThat(noTarget.statusCode()).isEqualTo(400);
    assertThat(noTarget.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("BAD_REQUEST");
    assertThat(notify(0, new JsonObject().put("API_KEY", KEY).put("channel", ch)).statusCode()).isEqualTo(400);
    assertThat(notify(0, new JsonObject().put("API_KEY", KEY).put("keycloak", "u1").putNull("msg")).statusCode()).isEqualTo(400);
    assertThat(notify(0, new JsonObject().put("API_KEY", KEY).put("channel", 5).put("msg", "x")).statusCode()).isEqualTo(400);
    assertThat(http.post(nodes.get(0).port(), "127.0.0.1", "/notify").sendBuffer(Buffer.buffer("not json")).await().statusCode()).isEqualTo(400);
  }

  @Test
  void channelOnlyReachesEveryConnectionOnThatChannelAndNoOther() {
    String msf = newChannel("msf");
    String b2b = newChannel("b2b");
    String a = newUser("a");
    String b = newUser("b");
    BridgeClient a1 = connect(0, a, msf);
    BridgeClient b1 = connect(0, b, msf);
    BridgeClient b2 = connect(0, b, b2b);

    JsonObject msg = new JsonObject().put("title", "hi").put("n", 1);
    assertThat(delivered(0, new JsonObject().put("channel", msf).put("msg", msg))).isEqualTo(2);
    assertThat(nextBody(a1, msf)).isEqualTo(notification(msg));
    assertThat(nextBody(b1, msf)).isEqualTo(notification(msg));

    // b2 got nothing: the next thing it receives is the notify for its own channel.
    assertThat(delivered(0, new JsonObject().put("channel", b2b).put("msg", "second"))).isEqualTo(1);
    assertThat(nextBody(b2, b2b)).isEqualTo(notification("second"));
    assertThat(b2.pending("ecb.notify." + msf)).isZero();
    // A channel nobody follows.
    assertThat(delivered(0, new JsonObject().put("channel", newChannel("empty")).put("msg", "x"))).isZero();
    closeAll(a1, b1, b2);
  }

  @Test
  void keycloakOnlyReachesEveryConnectionOfThatUserOnAnyChannel() {
    String msf = newChannel("msf");
    String admin = newChannel("admin");
    String a = newUser("a");
    String b = newUser("b");
    // a has two connections on two channels; b shares one of the channels.
    BridgeClient aMsf = connect(0, a, msf);
    BridgeClient aAdmin = connect(0, a, admin);
    BridgeClient bMsf = connect(0, b, msf);

    assertThat(delivered(0, new JsonObject().put("keycloak", a).put("msg", "for a"))).isEqualTo(2);
    assertThat(nextBody(aMsf, msf)).isEqualTo(notification("for a"));
    assertThat(nextBody(aAdmin, admin)).isEqualTo(notification("for a"));

    // b got nothing: its next frame is the channel-wide one.
    assertThat(delivered(0, new JsonObject().put("channel", msf).put("msg", "all"))).isEqualTo(2);
    assertThat(nextBody(bMsf, msf)).isEqualTo(notification("all"));
    assertThat(nextBody(aMsf, msf)).isEqualTo(notification("all"));
    assertThat(aAdmin.pending("ecb.notify." + admin)).isZero();
    // A user with no connection.
    assertThat(delivered(0, new JsonObject().put("keycloak", newUser("nobody")).put("msg", "x"))).isZero();
    closeAll(aMsf, aAdmin, bMsf);
  }

  @Test
  void keycloakAndChannelReachOnlyThatUsersConnectionsOnThatChannel() {
    String msf = newChannel("msf");
    String admin = newChannel("admin");
    String a = newUser("a");
    String b = newUser("b");
    BridgeClient aMsf = connect(0, a, msf);
    BridgeClient aAdmin = connect(0, a, admin);
    BridgeClient bMsf = connect(0, b, msf);

    assertThat(delivered(0, new JsonObject().put("keycloak", a).put("channel", msf).put("msg", "only a on msf"))).isEqualTo(1);
    assertThat(nextBody(aMsf, msf)).isEqualTo(notification("only a on msf"));

    // Neither a's other connection nor b's got it: their next frames are the later ones.
    assertThat(delivered(0, new JsonObject().put("keycloak", a).put("msg", "a everywhere"))).isEqualTo(2);
    assertThat(nextBody(aAdmin, admin)).isEqualTo(notification("a everywhere"));
    assertThat(nextBody(aMsf, msf)).isEqualTo(notification("a everywhere"));
    assertThat(delivered(0, new JsonObject().put("keycloak", b).put("channel", msf).put("msg", "only b"))).isEqualTo(1);
    assertThat(nextBody(bMsf, msf)).isEqualTo(notification("only b"));
    // That user on a channel they are not on.
    assertThat(delivered(0, new JsonObject().put("keycloak", b).put("channel", admin).put("msg", "x"))).isZero();
    closeAll(aMsf, aAdmin, bMsf);
  }

  @Test
  void oneConnectionOnTwoChannelsGetsAUserNotifyOnce() {
    String msf = newChannel("msf");
    String b2b = newChannel("b2b");
    String a = newUser("a");
    BridgeClient both = connect(0, a, msf, b2b);

    Future<JsonObject> onMsf = both.next("ecb.notify." + msf);
    Future<JsonObject> onB2b = both.next("ecb.notify." + b2b);
    assertThat(delivered(0, new JsonObject().put("keycloak", a).put("msg", "once"))).isEqualTo(1);
    Future.any(onMsf, onB2b).await();
    JsonObject first = onMsf.isComplete() ? onMsf.result() : onB2b.result();
    assertThat(first.getJsonObject("body")).isEqualTo(notification("once"));
    // No second copy on the other address: the next frame on each address is a later notify.
    Future<JsonObject> msfNext = onMsf.isComplete() ? both.next("ecb.notify." + msf) : onMsf;
    Future<JsonObject> b2bNext = onB2b.isComplete() ? both.next("ecb.notify." + b2b) : onB2b;
    assertThat(delivered(0, new JsonObject().put("channel", msf).put("msg", "after"))).isEqualTo(1);
    assertThat(delivered(0, new JsonObject().put("channel", b2b).put("msg", "after2"))).isEqualTo(1);
    assertThat(msfNext.await().getJsonObject("body")).isEqualTo(notification("after"));
    assertThat(b2bNext.await().getJsonObject("body")).isEqualTo(notification("after2"));
    // Unregistered and disconnected connections are no longer counted.
    both.unregister("ecb.notify." + msf);
    both.register("ecb.notify." + b2b, null).await(); // a round trip: the unregister is in effect
    assertThat(delivered(0, new JsonObject().put("channel", msf).put("msg", "gone"))).isZero();
    closeAll(both);
  }

  // ---- two nodes

  @Test
  void notifyOnOneNodeReachesAndCountsConnectionsOnTheOther() {
    String msf = newChannel("msf");
    String b2b = newChannel("b2b");
    String a = newUser("a");
    String b = newUser("b");
    // Connections on node 1 (tokens issued by node 0, verified by node 1), one more on node 0.
    BridgeClient aMsf = client(1);
    String aToken = socketToken(0, a, msf, b2b);
    aMsf.register("ecb.notify." + msf, new JsonObject().put("token", aToken).put("keycloakID", a)).await();
    BridgeClient aB2b = client(1);
    aB2b.register("ecb.notify." + b2b, new JsonObject().put("token", aToken).put("keycloakID", a)).await();
    BridgeClient bMsf = connect(1, b, msf);
    BridgeClient aMsfHere = connect(0, a, msf);

    assertThat(delivered(0, new JsonObject().put("channel", msf).put("msg", "m1"))).isEqualTo(3);
    assertThat(nextBody(aMsf, msf)).isEqualTo(notification("m1"));
    assertThat(nextBody(bMsf, msf)).isEqualTo(notification("m1"));
    assertThat(nextBody(aMsfHere, msf)).isEqualTo(notification("m1"));

    assertThat(delivered(0, new JsonObject().put("keycloak", a).put("msg", "m2"))).isEqualTo(3);
    assertThat(nextBody(aMsf, msf)).isEqualTo(notification("m2"));
    assertThat(nextBody(aB2b, b2b)).isEqualTo(notification("m2"));
    assertThat(nextBody(aMsfHere, msf)).isEqualTo(notification("m2"));

    assertThat(delivered(0, new JsonObject().put("keycloak", b).put("channel", msf).put("msg", "m3"))).isEqualTo(1);
    assertThat(nextBody(bMsf, msf)).isEqualTo(notification("m3"));

    // The same counts from the other node.
    assertThat(delivered(1, new JsonObject().put("keycloak", a).put("channel", msf).put("msg", "m4"))).isEqualTo(2);
    assertThat(nextBody(aMsf, msf)).isEqualTo(notification("m4"));
    assertThat(nextBody(aMsfHere, msf)).isEqualTo(notification("m4"));
    for (BridgeClient c : List.of(aMsf, bMsf, aMsfHere)) assertThat(c.pending("ecb.notify." + msf)).isZero();
    assertThat(aB2b.pending("ecb.notify." + b2b)).isZero();
    closeAll(aMsf, aB2b, bMsf, aMsfHere);
  }
}
