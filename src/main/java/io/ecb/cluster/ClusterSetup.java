package io.ecb.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.ecb.config.EcbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.FileNotFoundException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts the clustered Vert.x of a node. A single node is a cluster of one: the same event bus,
 * Hazelcast maps and code paths run whether one node or many are up.
 */
public final class ClusterSetup {

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
    if (cluster.host != null) {
      hz.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(cluster.host);
      hz.setProperty("hazelcast.local.localAddress", cluster.host);
    }
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

  public static Future<Vertx> start(EcbConfig config, VertxOptions options) {
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(config.cluster));
    EventBusOptions eb = options.getEventBusOptions();
    if (config.cluster.host != null) eb.setHost(config.cluster.host);
    // 0 picks a free port; Kubernetes sets a fixed one so network policies can name it.
    eb.setPort(config.cluster.eventBusPort);
    return Vertx.builder().with(options).withClusterManager(manager).buildClustered();
  }

  public static HazelcastClusterManager manager(Vertx vertx) {
    return (HazelcastClusterManager) ((io.vertx.core.internal.VertxInternal) vertx).clusterManager();
  }
}
