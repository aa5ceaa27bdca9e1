package io.ecb.cluster;

import com.hazelcast.map.IMap;
import io.ecb.engine.StreamLog;
import io.ecb.support.ClusterTestBase;
import io.ecb.support.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code history.maxBytes} on a two-node cluster: each node bounds the history of the streams it
 * owns, and a node that takes over the other's streams when it leaves accounts for them and gets
 * back under its bound.
 */
@Timeout(240)
class HistoryBoundClusterTest extends ClusterTestBase {

  private static final String KEY = "history-cluster-key";
  private static final long MAX_BYTES = 128 * 1024;

  @Override
  protected void configure(int index, JsonObject config) {
    config.getJsonObject("history").put("maxBytes", MAX_BYTES);
    config.put("publishers", new JsonArray().add(KEY));
  }

  private void publish(int node, String channel, String data) {
    HttpResponse<Buffer> r = http.post(port(node), "127.0.0.1", "/api/v1/publish").putHeader("Authorization", "Bearer " + KEY)
      .sendJsonObject(new JsonObject().put("channel", channel).put("event", "e").put("data", data)).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
  }

  private static StreamLog log(TestNode n) {
    return n.node.publisher().log();
  }

  /** What node {@code n} really holds as owner: the sizes of its own entries, not its accounting. */
  private static long ownedBytes(TestNode n) {
    IMap<String, StreamHistory> map = ClusterSetup.manager(n.vertx).getHazelcastInstance().getMap(HazelcastStreamLog.MAP);
    long sum = 0;
    for (String key : map.localKeySet()) {
      StreamHistory h = map.get(key);
      if (h != null) sum += h.bytes();
    }
    return sum;
  }

  @Test
  void eachNodeBoundsWhatItOwnsAndANodeTakingOverStreamsGetsBackUnderItsBound() {
    String filler = "f".repeat(2000);
    // Publish once every partition has settled on its owner: a stream appended while its partition
    // migrates stays in the old owner's accounting until a later pass measures it on the new one.
    for (TestNode n : nodes) {
      while (!ClusterSetup.manager(n.vertx).getHazelcastInstance().getPartitionService().isClusterSafe()) vertx.timer(10).await();
    }
    // About 2.5 times one node's bound in all, spread over both nodes by partition.
    for (int i = 0; i < 80; i++) publish(i % 2, "spread-" + i, filler);
    // Until the accounting and what the node really holds are both under the bound: an append the
    // accounting has not been told of yet is evicted by the next pass, which re-counts (at the
    // latest after HistoryBudget's 30 seconds).
    for (TestNode n : nodes) {
      while (log(n).historyBytes() > MAX_BYTES || ownedBytes(n) > MAX_BYTES) vertx.timer(10).await();
    }
    for (TestNode n : nodes) {
      assertThat(log(n).historyBytes()).isPositive().isLessThanOrEqualTo(MAX_BYTES);
      assertThat(ownedBytes(n)).isLessThanOrEqualTo(MAX_BYTES);
    }
    assertThat(log(nodes.get(0)).evictedStreams().sum() + log(nodes.get(1)).evictedStreams().sum()).isPositive();

    // Node 1 leaves: node 0 owns every stream now, about twice its bound before it evicts.
    TestNode leaving = nodes.remove(1);
    leaving.close().await();
    TestNode survivor = nodes.get(0);
    while (ownedBytes(survivor) > MAX_BYTES) vertx.timer(50).await();
    assertThat(log(survivor).historyBytes()).isLessThanOrEqualTo(MAX_BYTES);
    // New streams are still accepted and accounted for.
    for (int i = 0; i < 10; i++) publish(0, "after-" + i, filler);
    // As above: both the accounting and what the node holds.
    while (log(survivor).historyBytes() > MAX_BYTES || ownedBytes(survivor) > MAX_BYTES) vertx.timer(10).await();
    assertThat(ownedBytes(survivor)).isLessThanOrEqualTo(MAX_BYTES);
    assertThat(log(survivor).historyBytes()).isCloseTo(ownedBytes(survivor), within(4 * 4160L));
  }
}
