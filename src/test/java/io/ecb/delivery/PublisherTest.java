package io.ecb.delivery;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A payload published on an event loop reaches that loop's followers before anything else the
 * loop does after the append (the publish's result, the HTTP response), and the other loops'
 * followers through their own loops, each once.
 */
class PublisherTest extends NodeTestBase {

  @Test
  void theFollowersOfThePublishingLoopAreWrittenBeforeThePublishCompletes() throws Exception {
    Publisher publisher = node.node.publisher();
    Fanout fanout = node.node.fanout();
    String stream = Streams.channel("local-" + UUID.randomUUID());
    ContextInternal here = verticleContext();
    ContextInternal there = verticleContext();
    while (there.nettyEventLoop() == here.nettyEventLoop()) there = verticleContext();

    NotingFollower local = new NotingFollower(here, 3);
    NotingFollower remote = new NotingFollower(there, 3);
    // The stream's consumer on the publishing loop too: its event-bus copy must not get there first.
    Promise<Void> subscribed = Promise.promise();
    here.runOnContext(v -> fanout.subscribe(stream, "local", local).onComplete(subscribed));
    subscribed.future().await();
    fanout.subscribe(stream, "remote", remote).await();

    // The first payload after a change of followers goes through the loop's queue, behind what the
    // groups it replaces may still hold: the measured ones start once it is written everywhere.
    publisher.publish(stream, new JsonObject().put("n", 1)).await();
    assertThat(local.gotFirst.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(remote.gotFirst.await(10, TimeUnit.SECONDS)).isTrue();
    List<List<Long>> seenAtResult = new ArrayList<>();
    for (int i = 2; i <= 3; i++) {
      Promise<Void> published = Promise.promise();
      int n = i;
      here.runOnContext(v -> publisher.publish(stream, new JsonObject().put("n", n)).onComplete(ar -> {
        seenAtResult.add(local.offsets());
        published.handle(ar.mapEmpty());
      }));
      published.future().await();
    }

    assertThat(seenAtResult).containsExactly(List.of(1L, 2L), List.of(1L, 2L, 3L));
    assertThat(local.threads).allMatch(t -> t == local.threads.get(0));
    assertThat(remote.got.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(remote.offsets()).containsExactly(1L, 2L, 3L);
    assertThat(local.offsets()).containsExactly(1L, 2L, 3L);
    assertThat(remote.threads.get(0)).isNotSameAs(local.threads.get(0));
    fanout.unsubscribe(stream, local);
    fanout.unsubscribe(stream, remote);
  }
}
