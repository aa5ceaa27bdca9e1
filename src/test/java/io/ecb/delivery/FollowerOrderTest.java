package io.ecb.delivery;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A payload reaches the followers of a stream on one event loop in the order they followed it. */
class FollowerOrderTest extends NodeTestBase {

  @Test
  void aLoopsFollowersAreWrittenInTheOrderTheyFollowed() throws Exception {
    Fanout fanout = node.node.fanout();
    String stream = Streams.channel("order-" + UUID.randomUUID());
    ContextInternal loop = verticleContext();
    int count = 64;
    List<Integer> written = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch reached = new CountDownLatch(count);
    List<Connection> followers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int n = i;
      Connection follower = new Connection() {
        @Override
        public void deliver(Delivery delivery) {
          written.add(n);
          reached.countDown();
        }

        @Override
        public Context context() {
          return loop;
        }
      };
      followers.add(follower);
      fanout.subscribe(stream, "u" + i, follower).await();
    }
    // Following again, as another user, keeps a follower's place.
    fanout.subscribe(stream, "someone-else", followers.get(0)).await();

    node.node.publisher().publish(stream, new JsonObject().put("n", 1)).await();
    assertTrue(reached.await(10, TimeUnit.SECONDS));
    assertEquals(IntStream.range(0, count).boxed().toList(), written);
    followers.forEach(f -> fanout.unsubscribe(stream, f));
  }
}
