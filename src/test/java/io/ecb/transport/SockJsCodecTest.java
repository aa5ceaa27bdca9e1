package io.ecb.transport;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a client's SockJS frames decode to, the bridge's ping (recognised without a parser) included. */
class SockJsCodecTest {

  @Test
  void thePingAsClientsFrameItDecodesToTheBridgePing() {
    String framed = new JsonArray().add(new JsonObject().put("type", "ping").encode()).encode();
    assertThat(SockJsCodec.decode(framed)).containsExactly(SockJsCodec.PING);
    assertThat(new JsonObject(SockJsCodec.PING)).isEqualTo(new JsonObject().put("type", "ping"));
  }

  @Test
  void otherFramesAreParsed() {
    assertThat(SockJsCodec.decode("[\"{\\\"type\\\": \\\"ping\\\"}\"]")).containsExactly("{\"type\": \"ping\"}");
    assertThat(SockJsCodec.decode("[\"{\\\"type\\\":\\\"ping\\\"}\",\"b\"]")).containsExactly(SockJsCodec.PING, "b");
    assertThat(SockJsCodec.decode("\"one\"")).isEqualTo(List.of("one"));
    assertThat(SockJsCodec.decode("")).isEmpty();
    assertThat(SockJsCodec.decode("[1]")).isNull();
    assertThat(SockJsCodec.decode("{\"type\":\"ping\"}")).isNull();
    assertThat(SockJsCodec.decode("[\"unterminated")).isNull();
  }
}
