package io.ecb.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.ecb.engine.Presence;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Presence in the Hazelcast map {@code ecb.presence}: threadId → (userId → ids of the nodes that
 * follow the thread for that user). Every change is an entry processor on the thread's owner, so
 * concurrent joins and leaves from several nodes see each other. A thread whose last user leaves is
 * removed from the map.
 *
 * <p>When a member leaves the cluster, every surviving node takes it out of every thread; the entry
 * processor runs once per thread, so each user it leaves offline is reported once cluster-wide,
 * by whichever node got there first. A node that shuts down gracefully has left its threads
 * already, as its connections closed.
 */
public final class HazelcastPresence implements Presence {

  private static final Logger LOG = Logger.getLogger(HazelcastPresence.class.getName());
  public static final String MAP = "ecb.presence";

  private final Vertx vertx;
  private final IMap<String, HashMap<String, HashSet<String>>> map;
  private final String nodeId;
  private final List<BiConsumer<String, String>> departed = new CopyOnWriteArrayList<>();

  public HazelcastPresence(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.map = hazelcast.getMap(MAP);
    this.nodeId = hazelcast.getCluster().getLocalMember().getUuid().toString();
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        dropNode(event.getMember().getUuid().toString());
      }
    });
  }

  @Override
  public Future<Boolean> join(String threadId, String userId) {
    return ClusterMaps.future(vertx, map.submitToKey(threadId, new Change(nodeId, userId, true)));
  }

  @Override
  public Future<Boolean> leave(String threadId, String userId) {
    return ClusterMaps.future(vertx, map.submitToKey(threadId, new Change(nodeId, userId, false)));
  }

  @Override
  public Future<Set<String>> online(String threadId) {
    return ClusterMaps.future(vertx, map.getAsync(threadId)).map(users -> users == null ? Set.of() : Set.copyOf(users.keySet()));
  }

  @Override
  public void onDeparted(BiConsumer<String, String> handler) {
    departed.add(handler);
  }

  /** Takes a node that left out of every thread; runs on a worker, since a scan of the map blocks. */
  private void dropNode(String node) {
    vertx.executeBlocking(() -> map.executeOnEntries(new DropNode(node)), false).onComplete(ar -> {
      if (ar.failed()) {
        LOG.log(Level.WARNING, "could not take departed node " + node + " out of thread presence", ar.cause());
        return;
      }
      ar.result().forEach((threadId, users) -> {
        if (users == null) return;
        for (String userId : users) departed.forEach(h -> h.accept(threadId, userId));
      });
    });
  }

  /** One node's join or leave of one user in one thread; answers whether the user's presence changed. */
  static final class Change implements EntryProcessor<String, HashMap<String, HashSet<String>>, Boolean>, DataSerializable {
    private String node;
    private String userId;
    private boolean join;

    Change(String node, String userId, boolean join) {
      this.node = node;
      this.userId = userId;
      this.join = join;
    }

    private Change() {
    }

    @Override
    public Boolean process(Map.Entry<String, HashMap<String, HashSet<String>>> entry) {
      HashMap<String, HashSet<String>> users = entry.getValue();
      if (users == null) {
        if (!join) return false;
        users = new HashMap<>();
      }
      HashSet<String> nodes = users.get(userId);
      boolean changed;
      if (join) {
        changed = nodes == null;
        if (nodes == null) users.put(userId, nodes = new HashSet<>());
        if (!nodes.add(node) && !changed) return false;
      } else {
        if (nodes == null || !nodes.remove(node)) return false;
        changed = nodes.isEmpty();
        if (changed) users.remove(userId);
      }
      entry.setValue(users.isEmpty() ? null : users);
      return changed;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
      out.writeString(userId);
      out.writeBoolean(join);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
      userId = in.readString();
      join = in.readBoolean();
    }
  }

  /** Takes a departed node out of a thread; answers the users that left offline, or null. */
  static final class DropNode implements EntryProcessor<String, HashMap<String, HashSet<String>>, ArrayList<String>>, DataSerializable {
    private String node;

    DropNode(String node) {
      this.node = node;
    }

    private DropNode() {
    }

    @Override
    public ArrayList<String> process(Map.Entry<String, HashMap<String, HashSet<String>>> entry) {
      HashMap<String, HashSet<String>> users = entry.getValue();
      if (users == null) return null;
      ArrayList<String> offline = new ArrayList<>();
      boolean touched = false;
      for (var it = users.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        if (!e.getValue().remove(node)) continue;
        touched = true;
        if (e.getValue().isEmpty()) {
          it.remove();
          offline.add(e.getKey());
        }
      }
      if (!touched) return null;
      entry.setValue(users.isEmpty() ? null : users);
      return offline.isEmpty() ? null : offline;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
    }
  }
}
