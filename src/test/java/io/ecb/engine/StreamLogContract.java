package io.ecb.engine;

import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every stream log promises, run against each implementation: one gapless order per stream
 * under concurrent appends, exact recovery while history covers the gap, and
 * {@code recovered: false} past the history window or after the stream's epoch changed.
 */
@Timeout(60)
public abstract class StreamLogContract {

  /** History kept per stream in these tests. */
  protected static final int SIZE = 20;

  protected Vertx vertx;
  protected StreamLog log;

  /** A log with {@code config}'s history bounds. */
  protected abstract StreamLog create(Vertx vertx, EcbConfig.History config);

  /** Loses a stream's history and position, as a failed or evicting store does. */
  protected abstract void lose(String stream);

  @BeforeEach
  public void setUp() {
    vertx = Vertx.vertx();
    JsonObject json = ConfigLoader.defaults();
    json.getJsonObject("history").put("size", SIZE);
    log = create(vertx, new EcbConfig(json).history);
  }

  @AfterEach
  public void tearDown() {
    vertx.close().await();
  }

  private static String stream() {
    return "test:" + UUID.randomUUID();
  }

  private static String template(int n) {
    return "{\"n\":" + n + "}";
  }

  private List<StreamLog.Appended> appendAll(String stream, int count) {
    List<StreamLog.Appended> out = new ArrayList<>();
    for (int i = 1; i <= count; i++) out.add(log.append(stream, template(i)).await());
    return out;
  }

  @Test
  public void concurrentAppendsGetOffsetsOneToNWithoutGaps() throws Exception {
    String stream = stream();
    int threads = 4;
    int each = 150;
    List<Future<StreamLog.Appended>> results = new CopyOnWriteArrayList<>();
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int from = t * each;
      Thread thread = new Thread(() -> {
        for (int i = 0; i < each; i++) results.add(log.append(stream, template(from + i)));
      });
      thread.start();
      started.add(thread);
    }
    for (Thread thread : started) thread.join();
    List<StreamLog.Appended> appended = Future.all(results).await().list();

    assertThat(appended.stream().map(StreamLog.Appended::offset))
      .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, threads * each).boxed().toList());
    String epoch = appended.get(0).epoch();
    assertThat(appended).allSatisfy(a -> {
      assertThat(a.epoch()).isEqualTo(epoch);
      JsonObject json = new JsonObject(a.json());
      assertThat(json.getLong("offset")).isEqualTo(a.offset());
      assertThat(json.getString("epoch")).isEqualTo(epoch);
    });
    StreamLog.Position position = log.position(stream).await();
    assertThat(position.offset()).isEqualTo(threads * each);
    assertThat(position.epoch()).isEqualTo(epoch);
  }

  @Test
  public void appendStampsOffsetAndEpochAsTheLastFields() {
    String stream = stream();
    StreamLog.Appended a = log.append(stream, "{\"kind\":\"message\",\"text\":\"hi\"}").await();
    assertThat(a.offset()).isEqualTo(1);
    assertThat(a.json()).isEqualTo("{\"kind\":\"message\",\"text\":\"hi\",\"offset\":1,\"epoch\":\"" + a.epoch() + "\"}");
  }

  @Test
  public void positionOfANewStreamIsZeroAndItsEpochHolds() {
    String stream = stream();
    StreamLog.Position p = log.position(stream).await();
    assertThat(p.offset()).isZero();
    assertThat(log.append(stream, template(1)).await().epoch()).isEqualTo(p.epoch());
  }

  @Test
  public void sinceReturnsExactlyWhatWasMissed() {
    String stream = stream();
    List<StreamLog.Appended> appended = appendAll(stream, 10);
    String epoch = appended.get(0).epoch();
    long before = log.recoveredMessages().sum();

    StreamLog.Recovery r = log.since(stream, 4, epoch).await();
    assertThat(r.recovered()).isTrue();
    assertThat(r.missed()).containsExactlyElementsOf(appended.subList(4, 10).stream().map(StreamLog.Appended::json).toList());
    assertThat(r.position().offset()).isEqualTo(10);
    assertThat(r.position().epoch()).isEqualTo(epoch);
    assertThat(log.recoveredMessages().sum() - before).isEqualTo(6);

    StreamLog.Recovery upToDate = log.since(stream, 10, epoch).await();
    assertThat(upToDate.recovered()).isTrue();
    assertThat(upToDate.missed()).isEmpty();

    StreamLog.Recovery fromZero = log.since(stream, 0, epoch).await();
    assertThat(fromZero.recovered()).isTrue();
    assertThat(fromZero.missed()).hasSize(10);
  }

  @Test
  public void sinceIsNotRecoveredPastTheHistoryWindow() {
    String stream = stream();
    List<StreamLog.Appended> appended = appendAll(stream, SIZE + 5);
    String epoch = appended.get(0).epoch();
    long before = log.unrecoverableRecoveries().sum();

    // Offsets 1..5 fell out of the window: a client at 4 missed 5, which is gone.
    StreamLog.Recovery gone = log.since(stream, 4, epoch).await();
    assertThat(gone.recovered()).isFalse();
    assertThat(gone.missed()).isEmpty();
    assertThat(gone.position().offset()).isEqualTo(SIZE + 5);
    assertThat(log.unrecoverableRecoveries().sum() - before).isEqualTo(1);

    // A client at 5 missed only what is still held.
    StreamLog.Recovery held = log.since(stream, 5, epoch).await();
    assertThat(held.recovered()).isTrue();
    assertThat(held.missed()).containsExactlyElementsOf(appended.subList(5, SIZE + 5).stream().map(StreamLog.Appended::json).toList());
  }

  @Test
  public void sinceIsNotRecoveredForAnotherEpochOrAnOffsetAhead() {
    String stream = stream();
    String epoch = appendAll(stream, 3).get(0).epoch();
    assertThat(log.since(stream, 1, "other").await().recovered()).isFalse();
    assertThat(log.since(stream, 4, epoch).await().recovered()).isFalse();
    assertThat(log.since(stream, -1, epoch).await().recovered()).isFalse();
  }

  @Test
  public void aLostStreamStartsAgainWithANewEpoch() {
    String stream = stream();
    String epoch = appendAll(stream, 5).get(0).epoch();
    lose(stream);

    StreamLog.Recovery r = log.since(stream, 3, epoch).await();
    assertThat(r.recovered()).isFalse();
    assertThat(r.position().offset()).isZero();
    assertThat(r.position().epoch()).isNotEqualTo(epoch);
    StreamLog.Appended next = log.append(stream, template(6)).await();
    assertThat(next.offset()).isEqualTo(1);
    assertThat(next.epoch()).isEqualTo(r.position().epoch());
  }

  @Test
  public void readReturnsWhatIsHeldAfterAnOffsetWithoutCreatingTheStream() {
    String stream = stream();
    List<StreamLog.Appended> appended = appendAll(stream, 6);
    String epoch = appended.get(0).epoch();

    List<StreamLog.Appended> read = log.read(stream, 3, epoch).await();
    assertThat(read).extracting(StreamLog.Appended::offset).containsExactly(4L, 5L, 6L);
    assertThat(read).extracting(StreamLog.Appended::json).containsExactlyElementsOf(
      appended.subList(3, 6).stream().map(StreamLog.Appended::json).toList());
    assertThat(read).allSatisfy(a -> assertThat(a.epoch()).isEqualTo(epoch));
    assertThat(log.read(stream, 6, epoch).await()).isEmpty();
    assertThat(log.read(stream, 0, "other").await()).isEmpty();

    String unknown = stream();
    assertThat(log.read(unknown, 0, epoch).await()).isEmpty();
    assertThat(log.at(unknown, 1, epoch).await()).isNull();
  }

  @Test
  public void readAfterTheWindowReturnsOnlyWhatIsStillHeld() {
    String stream = stream();
    List<StreamLog.Appended> appended = appendAll(stream, SIZE + 3);
    List<StreamLog.Appended> read = log.read(stream, 0, appended.get(0).epoch()).await();
    assertThat(read).extracting(StreamLog.Appended::offset)
      .containsExactlyElementsOf(LongStream.rangeClosed(4, SIZE + 3).boxed().toList());
  }

  @Test
  public void atFindsAHeldPayload() {
    String stream = stream();
    List<StreamLog.Appended> appended = appendAll(stream, SIZE + 2);
    String epoch = appended.get(0).epoch();
    assertThat(log.at(stream, 10, epoch).await()).isEqualTo(appended.get(9).json());
    assertThat(log.at(stream, 1, epoch).await()).isNull();
    assertThat(log.at(stream, 10, "other").await()).isNull();
    assertThat(log.at(stream, SIZE + 3, epoch).await()).isNull();
  }

  @Test
  public void resultsReachTheCallersContext() {
    String stream = stream();
    Context context = vertx.getOrCreateContext();
    Promise<Boolean> onContext = Promise.promise();
    context.runOnContext(v -> log.append(stream, template(1))
      .onComplete(ar -> onContext.complete(vertx.getOrCreateContext() == context && Context.isOnEventLoopThread())));
    assertThat(onContext.future().await()).isTrue();
  }
}
