package io.ecb.delivery;

import io.ecb.engine.StreamLog;
import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code history.maxBytes} on a real node: publishing into many streams keeps the node's history
 * bytes under the bound by evicting the least recently used streams, which then answer
 * {@code recovered: false} under a new epoch, while a recent stream still recovers exactly.
 */
@Timeout(90)
class HistoryBoundTest extends NodeTestBase {

  private static final String KEY = "history-bound-key";
  private static final long MAX_BYTES = 128 * 1024;

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("history").put("maxBytes", MAX_BYTES);
    config.put("publishers", new JsonArray().add(KEY));
  }

  private static JsonObject text(String s) {
    return new JsonObject().put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", s)));
  }

  private JsonObject getThread(BridgeClient c, String token, JsonObject body) {
    return c.request("ecb.getThread", member("u1", token), body).await();
  }

  @Test
  void manyStreamsStayUnderTheBoundTheOldestLoseTheirHistoryAndARecentOneRecovers() {
    StreamLog log = node.node.publisher().log();
    BridgeClient c = bridge();
    String oldToken = backend.addThread("t-old", "u1", "u2").getString("threadToken");
    c.request("ecb.sendMessage", member("u1", oldToken), text("old 1")).await();
    c.request("ecb.sendMessage", member("u1", oldToken), text("old 2")).await();
    JsonObject old = getThread(c, oldToken, new JsonObject());
    assertThat(old.getLong("offset")).isEqualTo(2);
    String oldEpoch = old.getString("epoch");

    // 100 channel streams of one 2 KB payload each: a 4 KiB chunk apiece, about 3 times the bound.
    String filler = "f".repeat(2000);
    for (int i = 0; i < 100; i++) {
      HttpResponse<Buffer> r = http.post(node.port(), "127.0.0.1", "/api/v1/publish").putHeader("Authorization", "Bearer " + KEY)
        .sendJsonObject(new JsonObject().put("channel", "fill-" + i).put("event", "e").put("data", filler)).await();
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    }
    String newToken = backend.addThread("t-new", "u1", "u2").getString("threadToken");
    c.request("ecb.sendMessage", member("u1", newToken), text("new 1")).await();
    c.request("ecb.sendMessage", member("u1", newToken), text("new 2")).await();
    String newEpoch = getThread(c, newToken, new JsonObject()).getString("epoch");

    // Eviction runs in the background after the append that crossed the bound.
    while (log.historyBytes() > MAX_BYTES) vertx.timer(10).await();
    assertThat(log.historyBytes()).isLessThanOrEqualTo(MAX_BYTES).isGreaterThan(MAX_BYTES / 2);
    assertThat(log.evictedStreams().sum()).isGreaterThanOrEqualTo(50);

    // The least recently used stream lost its history: not recovered, and a new epoch.
    JsonObject lost = getThread(c, oldToken, new JsonObject().put("sinceOffset", 1).put("epoch", oldEpoch));
    assertThat(lost.getBoolean("recovered")).isFalse();
    assertThat(lost.getJsonArray("missed")).isEmpty();
    assertThat(lost.getString("epoch")).isNotEqualTo(oldEpoch);
    assertThat(lost.getLong("offset")).isZero();

    // The most recent one still recovers exactly.
    JsonObject kept = getThread(c, newToken, new JsonObject().put("sinceOffset", 0).put("epoch", newEpoch));
    assertThat(kept.getBoolean("recovered")).isTrue();
    assertThat(kept.getString("epoch")).isEqualTo(newEpoch);
    JsonArray missed = kept.getJsonArray("missed");
    assertThat(missed).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonObject p = missed.getJsonObject(i);
      assertThat(p.getLong("offset")).isEqualTo(i + 1);
      assertThat(p.getJsonObject("message").getJsonObject("data").getString("messageText")).isEqualTo("new " + (i + 1));
    }

    // The node reports both on /metrics.
    String metrics = http.get(node.port(), "127.0.0.1", "/metrics").send().await().bodyAsString();
    assertThat(metrics).contains("ecb_history_bytes ").contains("ecb_history_evicted_streams_total ");
    c.close().await();
  }
}
