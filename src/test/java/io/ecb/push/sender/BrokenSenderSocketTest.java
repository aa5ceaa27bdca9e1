package io.ecb.push.sender;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Channel Sender WebSocket that sends a message fragmented past the size limit
 * ({@code http.maxFrameBytes} 1024 here: messages up to 6,208 bytes) is closed with 3006, not left
 * open with its channel still live.
 */
@Timeout(60)
class BrokenSenderSocketTest extends NodeTestBase {

  private static final String KEY = "sender-publisher-key";

  @Override
  protected void configure(JsonObject config) {
    config.put("publishers", new JsonArray().add(KEY));
    config.getJsonObject("http").put("maxFrameBytes", 1024);
  }

  @Test
  void aMessageFragmentedPastTheLimitClosesTheSocket() throws Exception {
    HttpResponse<Buffer> created = http.post(node.port(), "127.0.0.1", "/ext/channel/create")
      .putHeader("Authorization", "Bearer " + KEY)
      .sendJsonObject(new JsonObject().put("application_ref", "app").put("user_ref", "u1")).await();
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(200);
    JsonObject channel = created.bodyAsJsonObject();

    WebSocketClient client = vertx.createWebSocketClient();
    WebSocket ws = client.connect(node.port(), "127.0.0.1", "/ext/socket?channel=" + channel.getString("channel_ref")).await();
    Promise<String> authOk = Promise.promise();
    Promise<String> closed = Promise.promise();
    ws.textMessageHandler(text -> {
      if (text.contains("AuthOk")) authOk.tryComplete(text);
    });
    ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode() + "/" + ws.closeReason()));
    ws.writeTextMessage("Auth::" + channel.getString("channel_secret")).await();
    authOk.future().await(10, TimeUnit.SECONDS);

    ws.writeFrame(WebSocketFrame.textFrame("x".repeat(2000), false)).await();
    for (int i = 0; i < 4; i++) ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer("x".repeat(2000)), i == 3)).await();
    assertThat(closed.future().await(15, TimeUnit.SECONDS)).isEqualTo("1001/3006");
    client.close().await();
  }
}
