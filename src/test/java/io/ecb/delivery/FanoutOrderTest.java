package io.ecb.delivery;

import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.engine.MemoryStreamLog;
import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node's stream consumer puts payloads back in offset order and fills gaps from history, on the
 * in-memory stream log: no cluster, so the ordering rules are checked in isolation.
 */
@Timeout(30)
class FanoutOrderTest {

  private static final int HISTORY = 20;

  private final Vertx vertx = Vertx.vertx();
  private final StreamLog log;
  private final Publisher publisher;
  private final String stream = "test:" + UUID.randomUUID();

  FanoutOrderTest() {
    JsonObject json = ConfigLoader.defaults();
    json.getJsonObject("history").put("size", HISTORY);
    log = new MemoryStreamLog(vertx, new EcbConfig(json).history);
    // A publisher on another node: its payloads reach the followers through the event bus only.
    publisher = new Publisher(vertx, log, null);
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  /** Records the offsets delivered to it; {@code done} completes at the {@code expected}-th. */
  private static final class Recorder implements Connection {
    final List<Long> offsets = new ArrayList<>();
    final Promise<List<Long>> done = Promise.promise();
    final int expected;

    Recorder(int expected) {
      this.expected = expected;
    }

    @Override
    public synchronized void deliver(Delivery delivery) {
      offsets.add(delivery.offset);
      if (offsets.size() == expected) done.complete(List.copyOf(offsets));
    }
  }

  private static JsonObject payload(int n) {
    return new JsonObject().put("n", n);
  }

  /** Sends a stored payload on the event bus, as a publisher does after storing it. */
  private void send(StreamLog.Appended a) {
    vertx.eventBus().publish(Streams.address(stream), Buffer.buffer(a.json()),
      new DeliveryOptions().addHeader("offset", Long.toString(a.offset())).addHeader("epoch", a.epoch()));
  }

  @ParameterizedTest(name = "publisher on the followers'' node: {0}")
  @ValueSource(booleans = {false, true})
  void concurrentPublishersAreDeliveredInOffsetOrderOnce(boolean sameNode) throws Exception {
    Fanout fanout = new Fanout(vertx, log, 500);
    // On the followers' node a payload comes twice: from the publisher, then from the event bus.
    Publisher publishing = sameNode ? new Publisher(vertx, log, fanout) : publisher;
    int threads = 4;
    int each = 100;
    int total = threads * each;
    Recorder recorder = new Recorder(total + 1);
    fanout.subscribe(stream, null, recorder).await();

    List<Thread> started = new ArrayList<>();
    List<Future<StreamLog.Appended>> stored = Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < each; i++) stored.add(publishing.publish(stream, payload(i)));
      });
      thread.start();
      started.add(thread);
    }
    for (Thread thread : started) thread.join();
    // Published once every earlier payload is stored: a second copy of any of them would show before it.
    Future.all(stored).await();
    publishing.publish(stream, payload(total)).await();

    assertThat(recorder.done.future().await()).containsExactlyElementsOf(LongStream.rangeClosed(1, total + 1).boxed().toList());
  }

  @Test
  void anEarlyPayloadWaitsForTheOneBefore() {
    // A gap wait longer than the test: the order must come from the late arrival, not from history.
    Fanout fanout = new Fanout(vertx, log, 60_000);
    Recorder recorder = new Recorder(3);
    fanout.subscribe(stream, null, recorder).await();
    StreamLog.Appended first = log.append(stream, payload(1).encode()).await();
    StreamLog.Appended second = log.append(stream, payload(2).encode()).await();
    StreamLog.Appended third = log.append(stream, payload(3).encode()).await();

    send(third);
    send(second);
    send(first);

    assertThat(recorder.done.future().await()).containsExactly(1L, 2L, 3L);
    assertThat(fanout.gapsFilled.sum()).isZero();
  }

  @Test
  void aPayloadThatNeverArrivesIsReadFromHistory() {
    Fanout fanout = new Fanout(vertx, log, 20);
    Recorder recorder = new Recorder(3);
    fanout.subscribe(stream, null, recorder).await();
    // Stored but never sent: their publisher died between the two steps.
    log.append(stream, payload(1).encode()).await();
    log.append(stream, payload(2).encode()).await();

    publisher.publish(stream, payload(3)).await();

    assertThat(recorder.done.future().await()).containsExactly(1L, 2L, 3L);
    assertThat(fanout.gapsFilled.sum()).isEqualTo(2);
    assertThat(fanout.lost.sum()).isZero();
  }

  @Test
  void aGapHistoryNoLongerHoldsIsSkippedAndCounted() {
    Fanout fanout = new Fanout(vertx, log, 20);
    Recorder recorder = new Recorder(1);
    fanout.subscribe(stream, null, recorder).await();
    for (int i = 1; i <= HISTORY + 5; i++) log.append(stream, payload(i).encode()).await();

    publisher.publish(stream, payload(HISTORY + 6)).await();

    assertThat(recorder.done.future().await()).containsExactly((long) HISTORY + 6);
    assertThat(fanout.lost.sum()).isEqualTo(HISTORY + 5);
  }

  @Test
  void aNewEpochIsFollowedFromItsFirstPayload() {
    Fanout fanout = new Fanout(vertx, log, 60_000);
    Recorder recorder = new Recorder(3);
    fanout.subscribe(stream, null, recorder).await();
    publisher.publish(stream, payload(1)).await();
    publisher.publish(stream, payload(2)).await();
    ((MemoryStreamLog) log).drop(stream);

    StreamLog.Appended restarted = publisher.publish(stream, payload(3)).await();

    assertThat(restarted.offset()).isEqualTo(1);
    assertThat(recorder.done.future().await()).containsExactly(1L, 2L, 1L);
    assertThat(fanout.lost.sum()).isZero();
  }
}
