package io.ecb.socketio;

import io.ecb.delivery.Delivery;
import io.ecb.socketio.EngineIo.Frame;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Engine.IO and Socket.IO codecs on their own: packets, payloads, and what they refuse. */
class CodecTest {

  @Test
  void decodesThePacketsTheReferenceClientSends() {
    SocketIoPacket connect = SocketIoPacket.decode("0/chat,{\"userToken\":\"abc\"}");
    assertThat(connect.type()).isEqualTo(SocketIoPacket.CONNECT);
    assertThat(connect.nsp()).isEqualTo("/chat");
    assertThat(connect.ackId()).isEqualTo(-1);
    assertThat(connect.data()).isEqualTo(new JsonObject().put("userToken", "abc"));

    SocketIoPacket root = SocketIoPacket.decode("0");
    assertThat(root.nsp()).isEqualTo("/");
    assertThat(root.data()).isNull();

    SocketIoPacket event = SocketIoPacket.decode("2/chat,12[\"getThreads\",{\"pageSize\":5}]");
    assertThat(event.type()).isEqualTo(SocketIoPacket.EVENT);
    assertThat(event.nsp()).isEqualTo("/chat");
    assertThat(event.ackId()).isEqualTo(12);
    assertThat(event.data()).isEqualTo(new JsonArray().add("getThreads").add(new JsonObject().put("pageSize", 5)));

    SocketIoPacket noAck = SocketIoPacket.decode("2[\"hello\"]");
    assertThat(noAck.nsp()).isEqualTo("/");
    assertThat(noAck.ackId()).isEqualTo(-1);

    SocketIoPacket binary = SocketIoPacket.decode("51-/chat,3[\"up\",{\"_placeholder\":true,\"num\":0}]");
    assertThat(binary.type()).isEqualTo(SocketIoPacket.BINARY_EVENT);
    assertThat(binary.attachments()).isEqualTo(1);
    assertThat(binary.nsp()).isEqualTo("/chat");
    assertThat(binary.ackId()).isEqualTo(3);

    assertThat(SocketIoPacket.decode("1/chat,").type()).isEqualTo(SocketIoPacket.DISCONNECT);
    assertThat(SocketIoPacket.decode("3/chat,7[]").ackId()).isEqualTo(7);
  }

  @Test
  void encodesWhatTheServerSends() {
    assertThat(SocketIoPacket.connect("/chat", new JsonObject().put("sid", "x")).encode()).isEqualTo("0/chat,{\"sid\":\"x\"}");
    assertThat(SocketIoPacket.connect("/", new JsonObject().put("sid", "x")).encode()).isEqualTo("0{\"sid\":\"x\"}");
    assertThat(SocketIoPacket.ack("/chat", 4, new JsonArray().add(new JsonObject())).encode()).isEqualTo("3/chat,4[{}]");
    assertThat(SocketIoPacket.event("/", new JsonArray().add("notification").add(1)).encode()).isEqualTo("2[\"notification\",1]");
    assertThat(SocketIoPacket.connectError("/chat", new JsonObject().put("message", "UNAUTHORIZED")).encode())
      .isEqualTo("4/chat,{\"message\":\"UNAUTHORIZED\"}");
    assertThat(SocketIoPacket.disconnect("/chat").encode()).isEqualTo("1/chat,");
    // What it encodes, it decodes to the same packet.
    SocketIoPacket ack = SocketIoPacket.ack("/chat", 9, new JsonArray().add(new JsonObject().put("a", "é\u001e")));
    assertThat(SocketIoPacket.decode(ack.encode())).isEqualTo(ack);
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", "7", "x", "2", "2{\"a\":1}", "2[]", "2[{}]", "2/chat,[", "2/chat,1[\"a\"]junk", "0[1]", "0\"text\"",
    "1{}", "3{}", "4[1]", "5[\"a\"]", "5-[\"a\"]", "5x-[\"a\"]", "299999999999999999999[\"a\"]", "2null", "2[\"a\"]]"
  })
  void refusesMalformedPackets(String text) {
    assertThatThrownBy(() -> SocketIoPacket.decode(text)).isInstanceOf(SocketIoPacket.MalformedPacketException.class);
  }

  @Test
  void splitsAndJoinsPollingPayloads() {
    assertThat(EngineIo.decodePayload("4hello\u001e2\u001e40/chat,{}")).containsExactly("4hello", "2", "40/chat,{}");
    assertThat(EngineIo.decodePayload("3")).containsExactly("3");
    assertThat(EngineIo.decodePayload("3\u001e")).containsExactly("3", "");
    Buffer joined = EngineIo.encodePayload(List.of(EngineIo.PING_PACKET, EngineIo.message("2[\"é\"]")));
    assertThat(joined.toString(StandardCharsets.UTF_8)).isEqualTo("2\u001e42[\"é\"]");
  }

  @Test
  void framesCarryThePacketAsAWebSocketTextFrame() {
    String big = "4" + "x".repeat(70_000);
    for (String packet : new String[]{"2", "4" + "y".repeat(200), big}) {
      Frame f = Frame.of(packet.getBytes(StandardCharsets.UTF_8));
      assertThat(f.packet()).isEqualTo(packet);
      assertThat(f.bytes()[0]).isEqualTo((byte) 0x81);
      assertThat(f.packetLength()).isEqualTo(packet.length());
    }
    JsonObject open = new JsonObject(EngineIo.open("s1", true, 65536).packet().substring(1));
    assertThat(open).isEqualTo(new JsonObject().put("sid", "s1").put("upgrades", new JsonArray().add("websocket"))
      .put("pingInterval", 25000).put("pingTimeout", 20000).put("maxPayload", 65536));
  }

  @Test
  void aPayloadIsEncodedOncePerNodeAsTheEventOfItsKind() {
    JsonObject payload = new JsonObject().put("kind", "message").put("threadId", "t1").put("offset", 3);
    Delivery d = new Delivery("thread:t1", "ecb.thread.t1", payload.toBuffer(), 3, "e");
    Frame f = SocketIoServer.frame(d);
    assertThat(f.packet()).isEqualTo("42/chat,[\"message\"," + payload.encode() + "]");
    assertThat(SocketIoServer.frame(d)).isSameAs(f);

    Object msg = new JsonObject().put("title", "hi");
    Delivery n = new Delivery("notify:c1", "ecb.notify.c1", new JsonObject().put("kind", "notification")
      .put("event", "notification").put("data", msg).toBuffer(), 0, null);
    assertThat(SocketIoServer.frame(n).packet()).isEqualTo("42[\"notification\",{\"title\":\"hi\"}]");
  }
}
