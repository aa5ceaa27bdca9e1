package io.ecb.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.ecb.config.EcbConfig;
import io.ecb.engine.Engine;
import io.ecb.engine.JsonRecords;
import io.ecb.engine.KeyedState;
import io.ecb.engine.OnceStore;
import io.ecb.engine.Presence;
import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.List;

/** The engine on the Hazelcast instance that also carries the clustered event bus. */
public final class HazelcastEngine implements Engine {

  private final Vertx vertx;
  private final HazelcastClusterManager cluster;
  private final HazelcastInstance hazelcast;
  private final StreamLog streams;
  private final OnceStore once;
  private Presence presence;

  public HazelcastEngine(Vertx vertx, EcbConfig.History history) {
    this(vertx, ClusterSetup.manager(vertx), history);
  }

  private HazelcastEngine(Vertx vertx, HazelcastClusterManager cluster, EcbConfig.History history) {
    this(vertx, cluster, cluster.getHazelcastInstance(),
      new HazelcastStreamLog(vertx, cluster.getHazelcastInstance(), history),
      new HazelcastOnceStore(vertx, cluster.getHazelcastInstance()));
  }

  /**
   * The parts given as they are: a test of the keyed state alone passes only a Hazelcast instance,
   * because the node list needs a clustered Vert.x and the stream log registers cluster listeners.
   */
  HazelcastEngine(Vertx vertx, HazelcastClusterManager cluster, HazelcastInstance hazelcast, StreamLog streams,
                  OnceStore once) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.hazelcast = hazelcast;
    this.streams = streams;
    this.once = once;
  }

  @Override
  public StreamLog streams() {
    return streams;
  }

  @Override
  public OnceStore once() {
    return once;
  }

  /** Made on first use, which registers its membership listener: a test of other parts needs no cluster for it. */
  @Override
  public synchronized Presence presence() {
    if (presence == null) presence = new HazelcastPresence(vertx, hazelcast);
    return presence;
  }

  @Override
  public <V> KeyedState<V> state(String name) {
    return new HazelcastKeyedState<>(vertx, hazelcast.getMap(name));
  }

  @Override
  public JsonRecords records(String name) {
    return new HazelcastJsonRecords(vertx, hazelcast.getMap(name));
  }

  @Override
  public String nodeId() {
    return cluster.getNodeId();
  }

  @Override
  public List<String> nodes() {
    return cluster.getNodes();
  }

  @Override
  public Future<Boolean> safe() {
    return vertx.executeBlocking(() -> hazelcast.getPartitionService().isLocalMemberSafe(), false);
  }
}
