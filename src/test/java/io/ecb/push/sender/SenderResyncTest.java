package io.ecb.push.sender;

import io.ecb.support.ClusterTestBase;
import io.ecb.support.SseClient;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static io.ecb.support.Conditions.within;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A channel's connection re-reads its queue now and then (push.channelSender.resyncMs) to repair
 * delivery races; what it has sent and had acked is not sent again, however that read's answer
 * and the ack's removal cross. Here the queue is re-read every 2 ms, so they cross often: the
 * channel's entry lives on either node and the SSE stream (acked as written) is on node 1.
 */
@Timeout(60)
class SenderResyncTest extends ClusterTestBase {

  private static final String KEY = "sender-resync-key";
  private static final int MESSAGES = 300;

  @Override
  protected void configure(int index, JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
    config.getJsonObject("push").getJsonObject("channelSender").put("resyncMs", 2);
  }

  private HttpResponse<Buffer> post(String path, JsonObject body) {
    return within(http.post(port(0), "127.0.0.1", path).putHeader("Authorization", "Bearer " + KEY).sendJsonObject(body),
      "POST " + path);
  }

  private void deliver(String ref, String mid) {
    assertThat(post("/ext/channel/deliver_message", ChannelSenderTest.message(ref, mid, mid)).statusCode()).isEqualTo(202);
  }

  @Test
  void everyMessageArrivesOnceWhileTheQueueIsReread() {
    JsonObject channel = post("/ext/channel/create", new JsonObject().put("application_ref", "app01").put("user_ref", "u-resync"))
      .bodyAsJsonObject();
    String ref = channel.getString("channel_ref");
    List<String> mids = Collections.synchronizedList(new ArrayList<>());
    Set<String> distinct = ConcurrentHashMap.newKeySet();
    Promise<Void> all = Promise.promise();
    SseClient sse = SseClient.listening(e -> {
      if (e.data() == null) return;
      String mid = new JsonArray(e.data()).getString(0);
      mids.add(mid);
      distinct.add(mid);
      if (distinct.size() == MESSAGES) all.tryComplete();
    });
    HttpClient client = vertx.createHttpClient();
    RequestOptions open = new RequestOptions().setPort(port(1)).setHost("127.0.0.1")
      .setURI("/ext/sse?channel=" + ref).putHeader("Authorization", "Bearer " + channel.getString("channel_secret"));
    assertThat(within(SseClient.open(client, open, null, sse), "SSE open").status).isEqualTo(200);

    List<String> sent = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      sent.add("m" + i);
      deliver(ref, "m" + i);
    }
    within(all.future(), "every message");
    assertThat(mids).containsExactlyInAnyOrderElementsOf(sent);
    within(client.close(), "closing the client");
  }
}
