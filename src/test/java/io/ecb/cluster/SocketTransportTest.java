package io.ecb.cluster;

import io.ecb.support.StubBackend;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** On Linux (x86-64 and arm64, the images' platforms) a node runs on Netty's epoll transport. */
@Timeout(60)
class NativeTransportTest {

  @Test
  void aNodeOnLinuxUsesEpoll() {
    String arch = System.getProperty("os.arch");
    assumeTrue(System.getProperty("os.name").startsWith("Linux") && (arch.equals("amd64") || arch.equals("aarch64")));
    Vertx vertx = Vertx.vertx();
    StubBackend backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
    TestNode node = TestNode.start(TestNode.config(TestNode.newClusterName(), backend.url(), TestKeys.rsa())).await();
    try {
      assertThat(node.vertx.isNativeTransportEnabled())
        .as("native transport; unavailable because: %s", node.vertx.unavailableNativeTransportCause())
        .isTrue();
    } finally {
      node.close().await();
      backend.close().await();
      vertx.close().await();
    }
  }
}
