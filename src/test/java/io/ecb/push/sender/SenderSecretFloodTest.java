package io.ecb.push.sender;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC section 8 for Channel Sender secrets: past limits.failedAuthPerSecond bad secrets from one
 * address, sockets are closed with 3050 (retry later) without their secret being checked, while
 * another address authenticates as usual.
 */
@Timeout(60)
class SenderSecretFloodTest extends NodeTestBase {

  private static final String KEY = "sender-flood-key";

  @Override
  protected void configure(JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
  }

  /** Connects from {@code local}, sends {@code Auth::<secret>} and completes with the first frame or the close. */
  private Future<String> authenticate(String local, String ref, String secret) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setLocalAddress(local));
    Promise<String> outcome = Promise.promise();
    return client.connect(node.port(), "127.0.0.1", "/ext/socket?channel=" + ref).compose(ws -> {
      ws.textMessageHandler(outcome::tryComplete);
      ws.closeHandler(v -> outcome.tryComplete(ws.closeStatusCode() + "/" + ws.closeReason()));
      ws.writeTextMessage("Auth::" + secret);
      return outcome.future();
    }).eventually(client::close);
  }

  @Test
  void badSecretsFromOneAddressAreRefusedUncheckedPastTheLimit() {
    JsonObject channel = http.post(node.port(), "127.0.0.1", "/ext/channel/create").putHeader("Authorization", "Bearer " + KEY)
      .sendJsonObject(new JsonObject().put("application_ref", "app01").put("user_ref", "u-flood")).await().bodyAsJsonObject();
    String ref = channel.getString("channel_ref");
    long before = node.node.chat().tokens().failedChecks().failures.sum();
    long start = System.nanoTime();
    List<Future<String>> outcomes = new ArrayList<>();
    for (int i = 0; i < 100; i++) outcomes.add(authenticate("127.0.0.8", ref, "1:SFMyNTY.bm9wZQ.bm9wZQ"));
    List<String> reasons = Future.all(outcomes).await().list();
    long failures = node.node.chat().tokens().failedChecks().failures.sum() - before;
    assertThat(reasons).containsOnly("1001/3008", "1001/3050").contains("1001/3050");
    assertThat(reasons.stream().filter("1001/3008"::equals).count()).isEqualTo(failures);
    assertThat(failures).isLessThanOrEqualTo((long) Math.ceil(20 * ((System.nanoTime() - start) / 1e9 + 2)));

    assertThat(authenticate("127.0.0.2", ref, channel.getString("channel_secret")).await()).isEqualTo("[\"\",\"\",\"AuthOk\",\"\"]");
  }
}
