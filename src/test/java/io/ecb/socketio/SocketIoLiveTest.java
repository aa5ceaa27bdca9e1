package io.ecb.socketio;

import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official socket.io-client on {@code /chat}: presence events and getPresence, markRead and
 * its {@code read} event, and recover, over polling and WebSocket.
 */
@Tag("browser")
class SocketIoLiveTest extends NodeTestBase {

  private static JsonObject presence(String threadId, String userId, boolean online) {
    return new JsonObject().put("kind", "presence").put("threadId", threadId).put("userId", userId).put("online", online);
  }

  @ParameterizedTest
  @ValueSource(strings = {"polling", "websocket"})
  void presenceReceiptsAndRecoverWork(String transport) {
    String t = "t-sio-live-" + transport;
    String token = backend.addThread(t, "u1", "u2").getString("threadToken");
    JsonObject r = SocketIoScript.run("live", new JsonObject().put("url", "http://127.0.0.1:" + node.port())
      .put("transports", new JsonArray().add(transport)).put("threadId", t).put("threadToken", token)
      .put("userId1", "u1").put("userId2", "u2")
      .put("userToken1", backend.userToken("u1")).put("userToken2", backend.userToken("u2")));

    assertThat(r.getJsonArray("presenceEvents")).containsExactly(presence(t, "u1", true), presence(t, "u2", true), presence(t, "u2", false));
    assertThat(r.getJsonObject("presence")).isEqualTo(new JsonObject().put("threadId", t).put("online", new JsonArray().add("u1").add("u2")));
    assertThat(r.getJsonObject("presenceWithoutToken").getJsonObject("error").getString("code")).isEqualTo("UNAUTHORIZED");

    long sent = r.getJsonObject("sent").getLong("offset");
    JsonObject markRead = r.getJsonObject("markRead");
    assertThat(markRead.getString("userId")).isEqualTo("u2");
    assertThat(markRead.getLong("readOffset")).isEqualTo(sent);
    assertThat(markRead.getLong("offset")).isEqualTo(sent + 1);
    assertThat(r.getJsonObject("markReadAhead").getJsonObject("error").getString("code")).isEqualTo("BAD_REQUEST");
    assertThat(r.getJsonObject("read")).isEqualTo(new JsonObject().put("kind", "read").put("threadId", t).put("userId", "u2")
      .put("readOffset", sent).put("offset", sent + 1).put("epoch", markRead.getString("epoch")));
    assertThat(backend.last("markRead").body().getLong("readOffset")).isEqualTo(sent);

    JsonObject recover = r.getJsonObject("recover");
    assertThat(recover.getBoolean("recovered")).isTrue();
    assertThat(recover.getJsonArray("missed")).hasSize(2);
    assertThat(recover.getJsonArray("missed").getJsonObject(1)).isEqualTo(r.getJsonObject("read"));
    assertThat(r.getJsonObject("recoverForbidden").getJsonObject("error").getString("code")).isEqualTo("FORBIDDEN");
  }
}
