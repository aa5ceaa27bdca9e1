package io.ecb.cluster;

import io.ecb.engine.Presence;
import io.ecb.engine.PresenceContract;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The presence contract in a Hazelcast map, and how a departed node is taken out of it. That a
 * real node dying sends its members offline is io.ecb.presence.PresenceClusterTest's.
 */
class HazelcastPresenceTest extends PresenceContract {

  @RegisterExtension
  static final LoneHazelcast hazelcast = new LoneHazelcast();

  @Override
  protected Presence create(Vertx vertx) {
    return new HazelcastPresence(vertx, hazelcast.instance());
  }

  @Override
  protected int heldThreads() {
    return hazelcast.instance().getMap(HazelcastPresence.MAP).size();
  }

  @Test
  void aDepartedNodeIsTakenOutOfEveryThreadAndItsLastUsersReported() {
    String gone = "node-that-died";
    var map = hazelcast.instance().<String, java.util.HashMap<String, java.util.HashSet<String>>>getMap(HazelcastPresence.MAP);
    // u1 follows t-a from the departed node only, u2 from it and this node; u3 from this node only.
    map.executeOnKey("t-a", new HazelcastPresence.Change(gone, "u1", true));
    map.executeOnKey("t-a", new HazelcastPresence.Change(gone, "u2", true));
    presence.join("t-a", "u2").await();
    presence.join("t-b", "u3").await();
    map.executeOnKey("t-c", new HazelcastPresence.Change(gone, "u4", true));

    Map<String, List<String>> offline = map.executeOnEntries(new HazelcastPresence.DropNode(gone)).entrySet().stream()
      .filter(e -> e.getValue() != null).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    assertThat(offline).isEqualTo(Map.of("t-a", List.of("u1"), "t-c", List.of("u4")));
    assertThat(presence.online("t-a").await()).containsExactly("u2");
    assertThat(presence.online("t-b").await()).containsExactly("u3");
    assertThat(map.containsKey("t-c")).as("a thread left empty is removed").isFalse();
    assertThat(map.executeOnEntries(new HazelcastPresence.DropNode(gone)).values()).as("once only").allMatch(v -> v == null);
    presence.leave("t-a", "u2").await();
    presence.leave("t-b", "u3").await();
  }
}
