package io.ecb.delivery;

import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.engine.MemoryStreamLog;
import io.ecb.engine.StreamLog;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A busy stream's payloads to a large group of followers on one event loop wait for company
 * ({@code delivery.lingerMs}); a quiet stream's, and a small group's, go out one by one. Every
 * payload reaches every follower once, in order, whichever way.
 */
@Timeout(60)
class LingerTest {

  private static final int PAYLOADS = 12;
  private final Vertx vertx = Vertx.vertx();
  private final StreamLog log = new MemoryStreamLog(vertx, new EcbConfig(ConfigLoader.defaults()).history);
  private final Publisher publisher = new Publisher(vertx, log, null);
  private final String stream = "test:" + UUID.randomUUID();
  private final Context loop = vertx.getOrCreateContext();

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  /** A follower on {@link #loop} that records what it is given, batch by batch. */
  private final class Follower implements Connection {
    final List<Long> offsets = new ArrayList<>();
    final List<Integer> batches = new ArrayList<>();
    final Promise<Void> done = Promise.promise();

    @Override
    public Context context() {
      return loop;
    }

    @Override
    public void deliver(Delivery d) {
      batches.add(1);
      add(d);
    }

    @Override
    public void deliver(DeliveryBatch batch) {
      assertThat(Vertx.currentContext()).isSameAs(loop);
      batches.add(batch.size());
      batch.deliveries().forEach(this::add);
    }

    private void add(Delivery d) {
      offsets.add(d.offset);
      if (offsets.size() == PAYLOADS) done.complete();
    }
  }

  /** Subscribes {@code followers} followers, publishes a payload every {@code gapMs}, and returns them once all have every payload. */
  private List<Follower> run(Fanout fanout, int followers, long gapMs) {
    List<Follower> all = new ArrayList<>();
    for (int i = 0; i < followers; i++) {
      Follower f = new Follower();
      fanout.subscribe(stream, "u" + i, f).await();
      all.add(f);
    }
    Promise<Void> sent = Promise.promise();
    int[] n = {0};
    vertx.setPeriodic(gapMs, id -> {
      publisher.publish(stream, new JsonObject().put("n", n[0]));
      if (++n[0] == PAYLOADS) {
        vertx.cancelTimer(id);
        sent.complete();
      }
    });
    sent.future().await();
    for (Follower f : all) {
      f.done.future().await();
      assertThat(f.offsets).containsExactlyElementsOf(LongStream.rangeClosed(1, PAYLOADS).boxed().toList());
    }
    return all;
  }

  @Test
  void aBusyStreamsPayloadsToALargeGroupGoOutTogether() {
    // Payloads 40 ms apart, each waiting up to 50 ms for the next: without the linger each would go alone.
    List<Follower> followers = run(new Fanout(vertx, log, 500, 400, 3), 3, 40);
    for (Follower f : followers) assertThat(f.batches).anyMatch(size -> size > 1);
  }

  @Test
  void aQuietStreamIsWrittenAtOnce() {
    // Payloads further apart than the linger: nothing waits.
    for (Follower f : run(new Fanout(vertx, log, 500, 20, 3), 3, 150)) assertThat(f.batches).containsOnly(1);
  }

  @Test
  void aSmallGroupNeverWaits() {
    for (Follower f : run(new Fanout(vertx, log, 500, 400, 3), 2, 40)) assertThat(f.batches).containsOnly(1);
  }
}
