package io.ecb.engine;

import io.vertx.core.Future;

import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Who follows which thread, cluster-wide: for each thread, its users and the nodes they follow it
 * from. A node records only its own transitions (a user's first follow of a thread on this node,
 * their last one going away); the answers say when that changed the user's presence cluster-wide.
 * A thread nobody follows holds nothing.
 *
 * <p>Futures complete on the caller's Vert.x context. {@code cluster.HazelcastPresence} is the
 * clustered implementation, which also takes a node that left the cluster out of every thread;
 * {@link MemoryPresence} keeps one node's threads in memory.
 */
public interface Presence {

  /** This node follows {@code threadId} for {@code userId}; true when no node did before (the user came online). */
  Future<Boolean> join(String threadId, String userId);

  /** This node no longer follows {@code threadId} for {@code userId}; true when no node does now (the user went offline). */
  Future<Boolean> leave(String threadId, String userId);

  /** The users some node follows {@code threadId} for. */
  Future<Set<String>> online(String threadId);

  /**
   * Told of each (threadId, userId) that went offline because the node following it for them
   * left the cluster without leaving the thread (it died); called on no particular thread, once
   * per pair cluster-wide.
   */
  void onDeparted(BiConsumer<String, String> handler);
}
