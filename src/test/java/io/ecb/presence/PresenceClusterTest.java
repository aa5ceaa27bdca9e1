package io.ecb.presence;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeProcess;
import io.ecb.support.StubBackend;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import static io.ecb.presence.PresenceTest.nextPresence;
import static io.ecb.presence.PresenceTest.presence;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Presence across two clustered nodes: one in this JVM, the other its own JVM, so that it can be
 * killed (SIGKILL: no graceful leave, its connections never say goodbye) and its members must go
 * offline through the survivor's view of the cluster alone, within 15 s.
 */
@Timeout(180)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PresenceClusterTest {

  private Vertx vertx;
  private WebClient http;
  private StubBackend backend;
  private TestNode here;
  private NodeProcess there;

  @BeforeAll
  void startCluster() throws Exception {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx);
    backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
    String cluster = TestNode.newClusterName();
    here = TestNode.start(TestNode.config(cluster, backend.url(), TestKeys.rsa())).await();
    there = new NodeProcess(TestNode.config(cluster, backend.url(), TestKeys.rsa()));
    there.launch();
    there.ready(vertx, http, 90_000).await();
  }

  @AfterAll
  void stop() {
    if (there != null) there.destroy();
    if (here != null) here.close().await();
    backend.close().await();
    vertx.close().await();
  }

  private JsonObject member(String userId, String threadToken) {
    return new JsonObject().put("userToken", backend.userToken(userId)).put("threadToken", threadToken);
  }

  private JsonObject online(int port, String threadId, String userId, String threadToken) {
    var r = http.get(port, "127.0.0.1", "/api/v1/threads/" + threadId + "/presence")
      .putHeader("Authorization", "Bearer " + backend.userToken(userId)).putHeader("X-Thread-Token", threadToken).send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  @Test
  void presenceIsClusterWideAndADeadNodesMembersGoOfflineWithin15s() {
    String t = "t-presence-cluster";
    String address = "ecb.thread." + t;
    String token = backend.addThread(t, "u1", "u2", "u3").getString("threadToken");
    BridgeClient u1 = BridgeClient.connect(vertx, here.port()).await();
    u1.register(address, member("u1", token)).await();
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u1", true));

    // A member on the other node comes and goes; both nodes agree on who is online.
    BridgeClient u2 = BridgeClient.connect(vertx, there.port).await();
    u2.register(address, member("u2", token)).await();
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u2", true));
    assertThat(nextPresence(u2, address)).as("the newcomer hears itself").isEqualTo(presence(t, "u2", true));
    JsonObject both = new JsonObject().put("threadId", t).put("online", new JsonArray().add("u1").add("u2"));
    assertThat(online(here.port(), t, "u1", token)).isEqualTo(both);
    assertThat(online(there.port, t, "u2", token)).isEqualTo(both);
    u2.unregister(address);
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u2", false));

    // The other node dies with u3 following from it.
    BridgeClient u3 = BridgeClient.connect(vertx, there.port).await();
    u3.register(address, member("u3", token)).await();
    assertThat(nextPresence(u1, address)).isEqualTo(presence(t, "u3", true));
    there.destroy();
    assertThat(nextPresence(u1, address, 15)).isEqualTo(presence(t, "u3", false));
    assertThat(online(here.port(), t, "u1", token)).isEqualTo(new JsonObject().put("threadId", t).put("online", new JsonArray().add("u1")));
    u1.close().await();
  }
}
