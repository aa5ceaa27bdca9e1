package io.ecb.engine;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** What every engine's keyed state and JSON records promise, run against each implementation. */
@Timeout(60)
public abstract class KeyedStateContract {

  protected Vertx vertx;
  protected Engine engine;

  protected abstract Engine create(Vertx vertx);

  @BeforeEach
  public void setUp() {
    vertx = Vertx.vertx();
    engine = create(vertx);
  }

  @AfterEach
  public void tearDown() {
    vertx.close().await();
  }

  private static String name() {
    return "test." + UUID.randomUUID();
  }

  /** Adds one to the value; removes the key when it reaches {@code upTo}. */
  record Count(long upTo) implements KeyedState.Update<Long, Long> {
    @Override
    public Long apply(KeyedState.Entry<Long> entry) {
      long n = (entry.getValue() == null ? 0 : entry.getValue()) + 1;
      entry.setValue(n == upTo ? null : n);
      return n;
    }
  }

  @Test
  public void updatesOfOneKeyAreAtomic() {
    KeyedState<Long> state = engine.state(name());
    List<Future<Long>> results = new ArrayList<>();
    for (int i = 0; i < 100; i++) results.add(state.update("k", new Count(1000)));
    assertThat(Future.all(results).await().<Long>list()).containsExactlyInAnyOrderElementsOf(
      java.util.stream.LongStream.rangeClosed(1, 100).boxed().toList());
    assertThat(state.get("k").await()).isEqualTo(100L);
    assertThat(state.get("other").await()).isNull();
  }

  @Test
  public void settingNullRemovesTheKey() {
    KeyedState<Long> state = engine.state(name());
    state.update("k", new Count(2)).await();
    assertThat(state.update("k", new Count(2)).await()).isEqualTo(2L);
    assertThat(state.get("k").await()).isNull();
  }

  @Test
  public void putAndRemove() {
    KeyedState<Long> state = engine.state(name());
    state.put("k", 7L, 60).await();
    assertThat(state.get("k").await()).isEqualTo(7L);
    state.remove("k").await();
    assertThat(state.get("k").await()).isNull();
  }

  @Test
  public void jsonRecordsAreFoundByField() {
    JsonRecords records = engine.records(name());
    records.index("app", "user").await();
    records.put("a", new JsonObject().put("app", "x").put("user", "u1").encode(), 60).await();
    records.put("b", new JsonObject().put("app", "x").put("user", "u2").encode(), 60).await();
    records.put("c", new JsonObject().put("app", "y").put("user", "u1").encode(), 60).await();
    assertThat(records.keysWhere("app", "x").await()).containsExactlyInAnyOrder("a", "b");
    assertThat(records.keysWhere("user", "u1").await()).containsExactlyInAnyOrder("a", "c");
    assertThat(records.keysWhere("app", "z").await()).isEmpty();
    assertThat(records.size().await()).isEqualTo(3);
    assertThat(new JsonObject(records.get("c").await()).getString("app")).isEqualTo("y");
  }
}
