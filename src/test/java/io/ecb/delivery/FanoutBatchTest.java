package io.ecb.delivery;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Payloads that arrive while a follower's event loop is busy are not queued as one task each: the
 * loop's next task takes all of them, in stream order, as one batch.
 */
class FanoutBatchTest extends NodeTestBase {

  @Test
  void payloadsThatPileUpForABusyLoopReachItsFollowersAsOneBatchInOrder() throws Exception {
    Fanout fanout = node.node.fanout();
    // A channel: a thread's followers would also hear each other's presence.
    String stream = Streams.channel("batch-" + UUID.randomUUID());

    ContextInternal busy = verticleContext();
    ContextInternal consumerSide = verticleContext();
    while (consumerSide.nettyEventLoop() == busy.nettyEventLoop()) consumerSide = verticleContext();

    // A follower on no event loop gets each payload as soon as the stream's consumer has it.
    List<Long> seenByWatcher = new ArrayList<>();
    CountDownLatch[] watcherGot = {new CountDownLatch(3), new CountDownLatch(4)};
    Connection watcher = d -> {
      synchronized (seenByWatcher) {
        seenByWatcher.add(d.offset);
      }
      for (CountDownLatch l : watcherGot) l.countDown();
    };
    List<List<Long>> batches = new ArrayList<>();
    CountDownLatch followerGot = new CountDownLatch(4);
    Connection follower = new Connection() {
      @Override
      public void deliver(Delivery delivery) {
        deliver(new DeliveryBatch(List.of(delivery)));
      }

      @Override
      public void deliver(DeliveryBatch batch) {
        batches.add(batch.deliveries().stream().map(d -> d.offset).toList());
        batch.deliveries().forEach(d -> followerGot.countDown());
      }

      @Override
      public Context context() {
        return busy;
      }
    };
    // The stream's consumer lives on the loop that subscribes first: not the one about to be busy.
    Promise<Void> subscribed = Promise.promise();
    consumerSide.runOnContext(v -> fanout.subscribe(stream, "watcher", watcher).onComplete(subscribed));
    subscribed.future().await();
    fanout.subscribe(stream, "follower", follower).await();

    CountDownLatch release = new CountDownLatch(1);
    busy.runOnContext(v -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    for (int i = 1; i <= 3; i++) node.node.publisher().publish(stream, new JsonObject().put("n", i)).await();
    assertTrue(watcherGot[0].await(10, TimeUnit.SECONDS));
    // Once the fourth is seen, the third has been handed to every loop (one payload at a time).
    node.node.publisher().publish(stream, new JsonObject().put("n", 4)).await();
    assertTrue(watcherGot[1].await(10, TimeUnit.SECONDS));
    release.countDown();

    assertTrue(followerGot.await(10, TimeUnit.SECONDS));
    List<Long> all = batches.stream().flatMap(List::stream).toList();
    assertEquals(seenByWatcher, all);
    assertTrue(batches.get(0).size() >= 3, "first batch " + batches);
    for (int i = 1; i < all.size(); i++) assertEquals(all.get(i - 1) + 1, all.get(i));
    fanout.unsubscribe(stream, watcher);
    fanout.unsubscribe(stream, follower);
  }
}
