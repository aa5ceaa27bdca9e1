package io.ecb.bridge;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SockJS heartbeats: an idle connection gets one per interval, a connection that received anything
 * else in that time gets none, and the checks are spread over turns rather than made for every
 * connection at once. The test runs the heartbeat turns itself.
 */
@Timeout(60)
class BridgeHeartbeatTest extends NodeTestBase {

  @Override
  protected void configure(JsonObject config) {
    // The node's own turns would come every six minutes, long after the test.
    config.getJsonObject("limits").put("heartbeatSeconds", 3600);
  }

  /** One heartbeat interval: every connection is checked twice. */
  private void interval() {
    for (int i = 0; i < 2 * BridgeServer.HEARTBEAT_SLOTS; i++) node.node.bridge().heartbeatTurn();
  }

  /** A request and its reply: whatever the server wrote before it has arrived. */
  private void roundTrip(BridgeClient c, String token) {
    c.request("ecb.getThread", member("u2", token), new JsonObject()).await();
  }

  @Test
  void idleConnectionsGetOneHeartbeatPerIntervalAndBusyOnesNone() {
    String token = backend.addThread("t-hb", "u1", "u2").getString("threadToken");
    BridgeClient c = bridge();
    c.register("ecb.thread.t-hb", member("u2", token)).await();
    // The register reply went out during this interval.
    interval();
    roundTrip(c, token);
    assertThat(c.heartbeats).as("after an interval with a reply").hasValue(0);

    // The round trip's reply, then a whole interval of silence.
    interval();
    interval();
    roundTrip(c, token);
    assertThat(c.heartbeats).as("after an idle interval").hasValue(1);

    // A thread message delivered in the interval counts as traffic too.
    interval();
    BridgeClient sender = bridge();
    sender.request("ecb.sendMessage", member("u1", token), new JsonObject()
      .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", "hi")))).await();
    c.next("ecb.thread.t-hb").await();
    interval();
    roundTrip(c, token);
    assertThat(c.heartbeats).as("after an interval with a delivery").hasValue(1);
    sender.close().await();
    c.close().await();
  }

  @Test
  void connectionsAreCheckedInDifferentTurns() {
    List<BridgeClient> clients = new ArrayList<>();
    for (int i = 0; i < 20; i++) clients.add(bridge());
    // Twenty connections all in one slot would happen once in 5^19 runs.
    assertThat(node.node.bridge().connections.stream().map(s -> s.heartbeatSlot).collect(Collectors.toSet())).hasSizeGreaterThan(1);
    clients.forEach(c -> c.close().await());
  }
}
