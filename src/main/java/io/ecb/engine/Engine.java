package io.ecb.engine;

import io.vertx.core.Future;

import java.util.List;

/**
 * What the node keeps cluster-wide, behind one seam: the stream log (offsets, epochs, history),
 * the once-store (send and publish idempotency), keyed state for the push profiles, and the
 * membership they consult, and who follows which thread (presence). {@code cluster.HazelcastEngine} keeps it in Hazelcast;
 * {@link MemoryEngine} in one node's heap.
 */
public interface Engine {

  StreamLog streams();

  OnceStore once();

  /** Who follows which thread, cluster-wide. */
  Presence presence();

  /** The keyed state named {@code name} (for Hazelcast: the map of that name, as cluster.xml configures it). */
  <V> KeyedState<V> state(String name);

  /** Keyed JSON records named {@code name}, found by field (for Hazelcast: an indexed map of JSON values). */
  JsonRecords records(String name);

  /** This node's id in the cluster, as the clustered event bus knows it. */
  String nodeId();

  /** The ids of the nodes in the cluster now, this one included. */
  List<String> nodes();

  /**
   * Whether this node's share of the state has its backups, so that losing a node loses nothing;
   * readiness reports it. Only this node's share: a cluster-wide check would make every node
   * unready at once while data migrates during a rollout.
   */
  Future<Boolean> safe();
}
