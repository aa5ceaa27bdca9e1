package io.ecb.engine;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every once-store promises, run against each implementation: a send is marked once, its
 * retries see it pending and then its record, a failed send can be tried again, an owner's records
 * are bounded, and a publish is claimed once.
 */
@Timeout(60)
public abstract class OnceStoreContract {

  private static final long TTL = 60;

  protected Vertx vertx;
  protected OnceStore store;

  protected abstract OnceStore create(Vertx vertx);

  @BeforeEach
  public void setUp() {
    vertx = Vertx.vertx();
    store = create(vertx);
  }

  @AfterEach
  public void tearDown() {
    vertx.close().await();
  }

  private static String owner() {
    return "u-" + UUID.randomUUID();
  }

  @Test
  public void aSendIsPendingUntilFinishedThenItsRecordAnswers() {
    String owner = owner();
    assertThat(store.begin(owner, "k", TTL, 3).await()).isNull();
    assertThat(store.begin(owner, "k", TTL, 3).await()).isEqualTo(OnceStore.PENDING);
    assertThat(store.records(owner)).containsExactly(OnceStore.PENDING);

    store.finish(owner, "k", "{\"o\":1}", TTL).await();
    assertThat(store.begin(owner, "k", TTL, 3).await()).isEqualTo("{\"o\":1}");
    assertThat(store.records(owner)).containsExactly("{\"o\":1}");
    // Another key of the same owner is a new send.
    assertThat(store.begin(owner, "other", TTL, 3).await()).isNull();
  }

  @Test
  public void aFailedSendIsFreedForANewTry() {
    String owner = owner();
    assertThat(store.begin(owner, "k", TTL, 3).await()).isNull();
    store.finish(owner, "k", null, TTL).await();
    assertThat(store.records(owner)).isEmpty();
    assertThat(store.begin(owner, "k", TTL, 3).await()).isNull();
    // Freeing a key nobody marked leaves nothing behind.
    String nobody = owner();
    store.finish(nobody, "k", null, TTL).await();
    assertThat(store.records(nobody)).isEmpty();
  }

  @Test
  public void concurrentFirstAttemptsMarkASendOnce() {
    String owner = owner();
    List<Future<String>> answers = new ArrayList<>();
    for (int i = 0; i < 50; i++) answers.add(store.begin(owner, "k", TTL, 3));
    List<String> all = Future.all(answers).await().list();
    assertThat(all.stream().filter(a -> a == null).count()).isEqualTo(1);
    assertThat(all.stream().filter(OnceStore.PENDING::equals).count()).isEqualTo(49);
  }

  @Test
  public void theOldestCompletedRecordGivesWayAndPendingSendsFillTheOwner() {
    String owner = owner();
    for (int i = 0; i < 3; i++) {
      assertThat(store.begin(owner, "k" + i, TTL, 3).await()).isNull();
      store.finish(owner, "k" + i, "r" + i, TTL).await();
    }
    assertThat(store.begin(owner, "k3", TTL, 3).await()).isNull();
    assertThat(store.records(owner)).containsExactly("r1", "r2", OnceStore.PENDING);
    // k0 gave way: it is a new send now.
    assertThat(store.begin(owner, "k0", TTL, 3).await()).isNull();
    assertThat(store.begin(owner, "k4", TTL, 3).await()).isNull();
    assertThat(store.records(owner)).containsExactly(OnceStore.PENDING, OnceStore.PENDING, OnceStore.PENDING);
    assertThat(store.begin(owner, "k5", TTL, 3).await()).isEqualTo(OnceStore.FULL);
  }

  @Test
  public void aPublishIsClaimedOnceUntilReleased() {
    String id = "m-" + UUID.randomUUID();
    List<Future<Boolean>> claims = new ArrayList<>();
    for (int i = 0; i < 20; i++) claims.add(store.claim(id, TTL));
    assertThat(Future.all(claims).await().<Boolean>list().stream().filter(b -> b).count()).isEqualTo(1);
    store.release(id);
    Boolean again = null;
    // Release is not awaited by publishers; the claim after it succeeds once it has landed.
    while (again == null || !again) again = store.claim(id, TTL).await();
    assertThat(store.claim(id, TTL).await()).isFalse();
  }
}
