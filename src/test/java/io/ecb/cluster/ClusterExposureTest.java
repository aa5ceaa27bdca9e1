package io.ecb.cluster;

import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.ecb.support.StubBackend;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What an outsider on the network can reach of a cluster: Hazelcast and the event bus listen on
 * cluster.host only (loopback by default), no signing secret is data in a cluster map, and nodes
 * whose signing secrets differ refuse to form one service.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterExposureTest {

  private Vertx vertx;
  private StubBackend backend;
  private WebClient http;

  @BeforeAll
  void start() {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx);
    backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
  }

  @AfterAll
  void stop() {
    backend.close().await();
    vertx.close().await();
  }

  private JsonObject config(String cluster) {
    return TestNode.config(cluster, backend.url(), TestKeys.rsa());
  }

  @Test
  void hazelcastAndTheEventBusListenOnLoopbackOnlyByDefault() throws IOException {
    JsonObject config = config(TestNode.newClusterName());
    config.getJsonObject("cluster").remove("host"); // the default applies
    TestNode node = TestNode.start(config).await();
    try {
      assertThat(node.config.cluster.host).isEqualTo("127.0.0.1");
      HazelcastInstance hz = ClusterSetup.manager(node.vertx).getHazelcastInstance();
      int hazelcastPort = hz.getCluster().getLocalMember().getAddress().getPort();
      int eventBusPort = ClusterSetup.manager(node.vertx).getNodeInfo().port();
      assertThat(hz.getCluster().getLocalMember().getAddress().getHost()).isEqualTo("127.0.0.1");
      assertThat(ClusterSetup.manager(node.vertx).getNodeInfo().host()).isEqualTo("127.0.0.1");
      for (int port : List.of(hazelcastPort, eventBusPort)) {
        List<String> bound = listeningAddresses(port);
        assertThat(bound).as("sockets listening on port %d", port).isNotEmpty()
          .allMatch(a -> a.equals("127.0.0.1"), "loopback only, never the wildcard address");
      }
    } finally {
      node.close().await();
    }
  }

  @Test
  void theWildcardAddressIsRefusedAsClusterHost() {
    JsonObject config = config(TestNode.newClusterName());
    config.getJsonObject("cluster").put("host", "0.0.0.0");
    assertThatThrownBy(() -> TestNode.start(config).await()).hasMessageContaining("cluster.host must be one address");
  }

  @Test
  void noSigningSecretIsStoredInAClusterMap() {
    // Neither secret configured: both are derived from backend.webhookSecret.
    JsonObject config = config(TestNode.newClusterName()).put("publishers", new io.vertx.core.json.JsonArray().add("pub-key"));
    TestNode node = TestNode.start(config).await();
    try {
      ClusterSecrets secrets = ClusterSecrets.of(node.config);
      // Exercise both profiles, which used to generate their secrets into maps on first use.
      String userToken = backend.userToken("u-exposed");
      assertThat(http.get(node.port(), "127.0.0.1", "/authorize").bearerTokenAuthentication(userToken).send().await().statusCode())
        .isEqualTo(200);
      assertThat(http.post(node.port(), "127.0.0.1", "/ext/channel/create")
        .bearerTokenAuthentication("pub-key")
        .sendJsonObject(new JsonObject().put("application_ref", "app").put("user_ref", "u-exposed")).await().statusCode())
        .isEqualTo(200);

      HazelcastInstance hz = ClusterSetup.manager(node.vertx).getHazelcastInstance();
      List<String> found = new ArrayList<>();
      for (DistributedObject o : hz.getDistributedObjects()) {
        if (!(o instanceof IMap<?, ?> map)) continue;
        for (Map.Entry<?, ?> e : map.entrySet()) {
          String text = String.valueOf(e.getKey()) + "=" + e.getValue();
          if (text.toLowerCase().contains("secret")
            || text.contains(secrets.channelSenderSecret())
            || text.contains(new String(secrets.notifyKey(), java.nio.charset.StandardCharsets.UTF_8))) {
            found.add(o.getName() + ": " + text);
          }
        }
        assertThat(o.getName()).doesNotContainIgnoringCase("secret");
      }
      assertThat(found).as("secrets in cluster maps").isEmpty();
      assertThat(hz.getDistributedObjects()).extracting(DistributedObject::getName)
        .doesNotContain("ecb.push.notify", "ecb.push.sender.config");
    } finally {
      node.close().await();
    }
  }

  @Test
  void aNodeWhoseSecretsDifferFromTheClustersRefusesToStart() {
    String cluster = TestNode.newClusterName();
    JsonObject first = config(cluster);
    first.getJsonObject("push").getJsonObject("notify").put("secret", "notify-secret-of-the-cluster");
    TestNode a = TestNode.start(first).await();
    try {
      JsonObject second = config(cluster);
      second.getJsonObject("push").getJsonObject("notify").put("secret", "some-other-notify-secret");
      assertThatThrownBy(() -> TestNode.start(second).await())
        .hasMessageContaining("push.notify.secret differs")
        .hasMessageContaining("refuses to start")
        .hasMessageNotContaining("notify-secret-of-the-cluster")
        .hasMessageNotContaining("some-other-notify-secret");

      // The refused node left again; the same config but with the cluster's secret joins.
      HazelcastInstance hz = ClusterSetup.manager(a.vertx).getHazelcastInstance();
      JsonObject third = config(cluster);
      third.getJsonObject("push").getJsonObject("notify").put("secret", "notify-secret-of-the-cluster");
      TestNode c = TestNode.start(third).await();
      try {
        assertThat(hz.getCluster().getMembers()).hasSize(2);
      } finally {
        c.close().await();
      }

      // A derived Channel Sender secret differs too when the webhook secrets differ.
      JsonObject fourth = config(cluster);
      fourth.getJsonObject("push").getJsonObject("notify").put("secret", "notify-secret-of-the-cluster");
      fourth.getJsonObject("backend").put("webhookSecret", new io.vertx.core.json.JsonArray().add("another-webhook-secret"));
      assertThatThrownBy(() -> TestNode.start(fourth).await())
        .hasMessageContaining("push.channelSender.secret differs")
        .hasMessageNotContaining("push.notify.secret differs");
    } finally {
      a.close().await();
    }
  }

  /** Local addresses of the sockets listening on {@code port} (IPv4 and IPv6), from /proc/net. */
  private static List<String> listeningAddresses(int port) throws IOException {
    List<String> out = new ArrayList<>();
    for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(file);
      if (!Files.exists(p)) continue;
      for (String line : Files.readAllLines(p)) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 4 || !f[3].equals("0A")) continue; // 0A = LISTEN
        String[] local = f[1].split(":");
        if (Integer.parseInt(local[1], 16) != port) continue;
        out.add(address(local[0]));
      }
    }
    return out;
  }

  /** /proc/net's hex address (little-endian 32-bit words) as text; IPv4-mapped IPv6 as IPv4. */
  private static String address(String hex) {
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int i = 0; i < 4; i++) {
        bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(word * 8 + (3 - i) * 2, word * 8 + (3 - i) * 2 + 2), 16);
      }
    }
    try {
      return java.net.InetAddress.getByAddress(bytes).getHostAddress();
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
