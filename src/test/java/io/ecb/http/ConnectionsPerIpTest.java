package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A flood of silent connections from one address ({@code limits.connectionsPerIp} 50): the excess
 * is closed on arrival, another address is still served, and the admitted ones are closed once
 * their headers are overdue ({@code http.headerTimeoutSeconds} 4), leaving no count behind.
 */
@Timeout(60)
class ConnectionsPerIpTest extends NodeTestBase {

  private static final int LIMIT = 50;
  private static final int FLOOD = 300;
  private static final String FLOODER = "127.0.0.2";

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("limits").put("connectionsPerIp", LIMIT);
    config.getJsonObject("http").put("headerTimeoutSeconds", 4);
  }

  @Test
  void silentFloodFromOneAddressIsCutAndHealthStillAnswers() throws Exception {
    // The flood's sockets bind 127.0.0.2, so the node sees them come from another client address.
    NetClient flooder = vertx.createNetClient(new NetClientOptions().setLocalAddress(FLOODER));
    AtomicInteger closed = new AtomicInteger();
    Promise<Void> excessClosed = Promise.promise();
    Promise<Void> allClosed = Promise.promise();
    List<Future<NetSocket>> sockets = new ArrayList<>();
    for (int i = 0; i < FLOOD; i++) {
      sockets.add(flooder.connect(node.port(), "127.0.0.1").onSuccess(s -> s.closeHandler(v -> {
        int n = closed.incrementAndGet();
        if (n == FLOOD - LIMIT) excessClosed.tryComplete();
        if (n == FLOOD) allClosed.tryComplete();
      })));
    }
    Future.join(sockets).await();
    assertThat(sockets).allMatch(Future::succeeded);

    excessClosed.future().await(10, TimeUnit.SECONDS);
    // The admitted fifty are still open: their headers are not overdue yet.
    assertThat(node.node.connections().openFrom(FLOODER)).isEqualTo(LIMIT);
    assertThat(closed.get()).isEqualTo(FLOOD - LIMIT);
    assertThat(node.node.connections().refused.sum()).isEqualTo(FLOOD - LIMIT);

    for (int i = 0; i < 3; i++) {
      assertThat(http.get(node.port(), "127.0.0.1", "/health").send().await().statusCode()).isEqualTo(200);
    }

    // Silent past the header deadline: closed by the server, and the count goes back to zero.
    allClosed.future().await(20, TimeUnit.SECONDS);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (node.node.connections().openFrom(FLOODER) > 0 && System.nanoTime() < until) Thread.sleep(20);
    assertThat(node.node.connections().openFrom(FLOODER)).isZero();
    flooder.close().await();
  }
}
