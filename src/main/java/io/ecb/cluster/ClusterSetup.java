package io.ecb.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.ecb.config.EcbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.transport.Transport;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.FileNotFoundException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Starts the clustered Vert.x of a node. A single node is a cluster of one: the same event bus,
 * Hazelcast maps and code paths run whether one node or many are up.
 */
public final class ClusterSetup {

  private static final Logger LOG = Logger.getLogger(ClusterSetup.class.getName());

  private ClusterSetup() {
  }

  /** Hazelcast config: conf/cluster.xml (or the copy in the jar), with ECB's cluster.* settings applied. */
  public static Config hazelcastConfig(EcbConfig.Cluster cluster) {
    Config hz;
    try {
      Path file = Path.of(cluster.configFile);
      if (Files.exists(file)) {
        hz = new XmlConfigBuilder(file.toString()).build();
      } else {
        InputStream in = ClusterSetup.class.getResourceAsStream("/cluster.xml");
        if (in == null) throw new FileNotFoundException(cluster.configFile);
        hz = new XmlConfigBuilder(in).build();
      }
    } catch (FileNotFoundException e) {
      throw new IllegalStateException("Hazelcast config not found: " + cluster.configFile, e);
    }
    hz.setClusterName(cluster.name);
    hz.getNetworkConfig().setPort(cluster.port).setPortAutoIncrement(true);
    // Hazelcast's open-source edition authenticates nobody: it listens on cluster.host only
    // (loopback unless set), never on every interface.
    String host = address(cluster.host);
    hz.getNetworkConfig().getInterfaces().setEnabled(true).clear().addInterface(host);
    hz.setProperty("hazelcast.local.localAddress", host);
    hz.setProperty("hazelcast.socket.bind.any", "false");
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    if (cluster.kubernetesServiceDns != null) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true).setProperty("service-dns", cluster.kubernetesServiceDns);
    } else if (!cluster.members.isEmpty()) {
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members);
    }
    return hz;
  }

  /** cluster.host as an IP address (Hazelcast's interface setting takes addresses, not names). */
  static String address(String host) {
    try {
      InetAddress a = InetAddress.getByName(host);
      if (a.isAnyLocalAddress()) {
        throw new IllegalStateException("cluster.host must be one address of this host, not " + host
          + ": the cluster ports have no authentication and must not listen on every interface");
      }
      return a.getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException("cluster.host " + host + " does not resolve", e);
    }
  }

  /**
   * Joins the cluster, advertising the fingerprints of this node's signing secrets (see
   * {@link ClusterSecrets}); EcbNode compares them with the other members' before it serves.
   */
  public static Future<Vertx> start(EcbConfig config, VertxOptions options) {
    Config hz;
    String host;
    Transport transport;
    try {
      transport = transport(config.http.transport);
      hz = hazelcastConfig(config.cluster);
      host = address(config.cluster.host);
    } catch (IllegalStateException e) {
      return Future.failedFuture(e);
    }
    try {
      ClusterSecrets.of(config).advertise(hz);
    } catch (IllegalStateException e) {
      // No secrets without a webhook secret: EcbNode.start refuses that config, naming the cause.
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(hz);
    EventBusOptions eb = options.getEventBusOptions();
    // The event bus too listens on cluster.host only, and tells the other nodes that address.
    eb.setHost(host);
    // 0 picks a free port; Kubernetes sets a fixed one so network policies can name it.
    eb.setPort(config.cluster.eventBusPort);
    LOG.info("socket transport: " + transport.name());
    return Vertx.builder().with(options).withClusterManager(manager).withTransport(transport).buildClustered();
  }

  /**
   * The socket transport {@code http.transport} names. {@code auto} takes the first that loads:
   * Netty's io_uring, which submits all of an event loop's socket writes in one system call where
   * epoll makes one per socket, so fan-out costs less CPU per delivery; then epoll, which writes a
   * direct buffer by its address where the JDK's channels make a view per write; then the JDK's
   * NIO. io_uring loads on Linux 5.14 and later unless a seccomp profile (Docker's and
   * containerd's defaults among them) or {@code kernel.io_uring_disabled} refuses it. A transport
   * named explicitly must load, or the node does not start.
   */
  static Transport transport(String name) {
    ioUringRing();
    return switch (name) {
      case "auto" -> loads(Transport.IO_URING) ? Transport.IO_URING : loads(Transport.EPOLL) ? Transport.EPOLL : Transport.NIO;
      case "io_uring" -> loaded(Transport.IO_URING, name);
      case "epoll" -> loaded(Transport.EPOLL, name);
      case "nio" -> Transport.NIO;
      default -> throw new IllegalStateException("http.transport must be auto, io_uring, epoll or nio, not " + name);
    };
  }

  /** Netty's io_uring submission ring size, unless the operator set {@value #RING_PROPERTY}. */
  static final String RING_ENTRIES = "16";
  static final String RING_PROPERTY = "io.netty.iouring.ringSize";

  /**
   * Netty submits a loop's queued sends when its submission ring is full or the loop goes back to
   * waiting. With its default of 128 entries, a fan-out's first socket got its frame only once
   * 128 sends were queued, about 0.4 ms later; with 16, after about 0.1 ms, for some 60 system
   * calls per 1,000 sockets instead of 8 (src/bench/README.md, sixteenth set). The completion ring
   * keeps its own size (4,096). Read once, when Netty's io_uring classes load, so it is set before
   * the transport is looked at.
   */
  private static void ioUringRing() {
    if (System.getProperty(RING_PROPERTY) == null) System.setProperty(RING_PROPERTY, RING_ENTRIES);
  }

  /** Whether {@code t} runs here; Vert.x gives null for a transport whose classes it did not find. */
  private static boolean loads(Transport t) {
    return t != null && t.available();
  }

  private static Transport loaded(Transport t, String name) {
    if (loads(t)) return t;
    Throwable cause = t == null ? null : t.unavailabilityCause();
    throw new IllegalStateException("http.transport " + name + " is not available here"
      + (cause == null ? "" : ": " + cause.getMessage()));
  }

  public static HazelcastClusterManager manager(Vertx vertx) {
    return (HazelcastClusterManager) ((io.vertx.core.internal.VertxInternal) vertx).clusterManager();
  }
}
