package io.ecb.cluster;

import io.ecb.support.ClusterTestBase;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * http.transport: on Linux (x86-64 and arm64, the images' platforms) a node runs on Netty's
 * io_uring where the kernel allows it and on epoll otherwise, and serves on each it can name.
 */
@Timeout(60)
class SocketTransportTest extends ClusterTestBase {

  /** Each test starts its own nodes, one per transport. */
  @Override
  protected int nodeCount() {
    return 0;
  }

  private static void assumeLinuxImagePlatform() {
    String arch = System.getProperty("os.arch");
    assumeTrue(System.getProperty("os.name").startsWith("Linux") && (arch.equals("amd64") || arch.equals("aarch64")));
  }

  private JsonObject config(String transport) {
    JsonObject c = TestNode.config(TestNode.newClusterName(), backend.url(), TestKeys.rsa());
    c.getJsonObject("http").put("transport", transport);
    return c;
  }

  /** Starts a node on {@code transport}, checks that it answers over HTTP, and gives the transport it runs on. */
  private Class<?> servedOn(String transport) {
    TestNode node = TestNode.start(config(transport)).await();
    try {
      assertThat(http.get(node.port(), "127.0.0.1", "/health").send().await().statusCode()).isEqualTo(200);
      return ((VertxInternal) node.vertx).transport().getClass();
    } finally {
      node.close().await();
    }
  }

  @Test
  void autoTakesIoUringWhereTheKernelAllowsItAndEpollElse() {
    assumeLinuxImagePlatform();
    Transport expected = Transport.IO_URING.available() ? Transport.IO_URING : Transport.EPOLL;
    assertThat(expected.available()).as("epoll unavailable because: %s", Transport.EPOLL.unavailabilityCause()).isTrue();
    assertThat(servedOn("auto")).isEqualTo(expected.implementation().getClass());
  }

  @Test
  void ioUringCanBeChosenWhereTheKernelAllowsIt() {
    assumeLinuxImagePlatform();
    assumeTrue(Transport.IO_URING.available(), "io_uring refused here");
    assertThat(servedOn("io_uring")).isEqualTo(Transport.IO_URING.implementation().getClass());
  }

  @Test
  void epollAndNioCanBeChosen() {
    assumeLinuxImagePlatform();
    assertThat(servedOn("epoll")).isEqualTo(Transport.EPOLL.implementation().getClass());
    assertThat(servedOn("nio")).isEqualTo(Transport.NIO.implementation().getClass());
  }

  /** Netty reads the ring size once, when its io_uring classes load: the node sets it before they do. */
  @Test
  void theIoUringRingIsSixteenEntriesUnlessTheOperatorSetIt() {
    String before = System.getProperty(ClusterSetup.RING_PROPERTY);
    try {
      System.clearProperty(ClusterSetup.RING_PROPERTY);
      ClusterSetup.transport("auto");
      assertThat(System.getProperty(ClusterSetup.RING_PROPERTY)).isEqualTo("16");
      System.setProperty(ClusterSetup.RING_PROPERTY, "64");
      ClusterSetup.transport("auto");
      assertThat(System.getProperty(ClusterSetup.RING_PROPERTY)).isEqualTo("64");
    } finally {
      if (before == null) System.clearProperty(ClusterSetup.RING_PROPERTY);
      else System.setProperty(ClusterSetup.RING_PROPERTY, before);
    }
  }

  @Test
  void anUnknownTransportRefusesToStartAndSaysWhy() {
    assertThatThrownBy(() -> TestNode.start(config("kqueue")).await())
      .hasMessageContaining("http.transport must be auto, io_uring, epoll or nio, not kqueue");
  }
}
