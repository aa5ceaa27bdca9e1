package io.ecb.delivery;

import io.ecb.support.NodeTestBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A payload reaches the followers of a stream on one event loop in the order they followed it. */
class FollowerOrderTest extends NodeTestBase {

  @Test
  void aLoopsFollowersAreWrittenInTheOrderTheyFollowed() throws Exception {
    Fanout fanout = node.node.fanout();
    String stream = Streams.channel("order-" + UUID.randomUUID());
    ContextInternal loop = verticleContext();
    List<Connection> written = Collections.synchronizedList(new ArrayList<>());
    List<NotingFollower> followers = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      NotingFollower follower = new NotingFollower(loop, 1, written);
      followers.add(follower);
      fanout.subscribe(stream, "u" + i, follower).await();
    }
    // Following again, as another user, keeps a follower's place.
    fanout.subscribe(stream, "someone-else", followers.get(0)).await();

    node.node.publisher().publish(stream, new JsonObject().put("n", 1)).await();
    for (NotingFollower f : followers) assertTrue(f.got.await(10, TimeUnit.SECONDS));
    assertEquals(followers, written);
    followers.forEach(f -> fanout.unsubscribe(stream, f));
  }
}
