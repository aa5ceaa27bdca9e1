package io.ecb.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.ecb.support.NodeTestBase;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

import java.io.Serial;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Results of Hazelcast map operations, as the node's event loops receive them. */
class ClusterMapsTest extends NodeTestBase {

  @Test
  void resultsReachTheCallersEventLoopWithoutAThreadPerResult() {
    IMap<String, String> map = ClusterSetup.manager(node.vertx).getHazelcastInstance().getMap("test." + UUID.randomUUID());
    Context context = verticleContext();
    Set<String> completedOn = ConcurrentHashMap.newKeySet();
    Set<String> eventLoop = ConcurrentHashMap.newKeySet();
    int calls = 500;
    long threadsBefore = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();

    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      eventLoop.add(Thread.currentThread().getName());
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        results.add(ClusterMaps.putIfAbsent(node.vertx, map, "k" + i, "v", 60)
          .onSuccess(previous -> completedOn.add(Thread.currentThread().getName())));
      }
      Future.all(results).<Void>mapEmpty().onComplete(done);
    });
    done.future().await();

    assertEquals(eventLoop, completedOn, "every result is handled on the caller's event loop");
    assertEquals(calls, map.size());
    // Hazelcast runs a plain whenComplete callback on the common ForkJoinPool, which on a machine
    // of one or two CPUs starts a thread per callback.
    long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - threadsBefore;
    assertTrue(started < 20, started + " threads started for " + calls + " map operations");
  }

  @Test
  void aFailedOperationFailsTheFutureWithItsOwnError() {
    IMap<String, String> map = ClusterSetup.manager(node.vertx).getHazelcastInstance().getMap("test." + UUID.randomUUID());
    Context context = verticleContext();
    Promise<Throwable> failure = Promise.promise();
    context.runOnContext(v -> ClusterMaps.future(node.vertx, map.submitToKey("k", new Refuse()))
      .onComplete(ar -> failure.complete(ar.cause())));
    Throwable cause = failure.future().await();
    assertInstanceOf(IllegalStateException.class, cause);
    assertEquals("refused", cause.getMessage());
  }

  static final class Refuse implements EntryProcessor<String, String, String> {
    @Serial
    private static final long serialVersionUID = 1;

    @Override
    public String process(Map.Entry<String, String> entry) {
      throw new IllegalStateException("refused");
    }
  }
}
