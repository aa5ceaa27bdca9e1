package io.ecb.engine;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** What every engine's presence promises, run against each implementation. */
@Timeout(60)
public abstract class PresenceContract {

  protected Vertx vertx;
  protected Presence presence;

  protected abstract Presence create(Vertx vertx);

  /** How many threads the implementation holds anything for. */
  protected abstract int heldThreads();

  @BeforeEach
  public void setUp() {
    vertx = Vertx.vertx();
    presence = create(vertx);
  }

  @AfterEach
  public void tearDown() {
    vertx.close().await();
  }

  private static String thread() {
    return "t-" + UUID.randomUUID();
  }

  @Test
  void aUserIsOnlineFromTheFirstJoinToTheLastLeave() {
    String t = thread();
    assertThat(presence.join(t, "u1").await()).isTrue();
    assertThat(presence.join(t, "u1").await()).as("this node had them already").isFalse();
    assertThat(presence.join(t, "u2").await()).isTrue();
    assertThat(presence.online(t).await()).containsExactlyInAnyOrder("u1", "u2");
    assertThat(presence.leave(t, "u1").await()).isTrue();
    assertThat(presence.leave(t, "u1").await()).as("gone already").isFalse();
    assertThat(presence.online(t).await()).containsExactly("u2");
    assertThat(presence.online(thread()).await()).isEmpty();
  }

  @Test
  void aThreadNobodyFollowsHoldsNothing() {
    int before = heldThreads();
    String t = thread();
    presence.join(t, "u1").await();
    presence.join(t, "u2").await();
    assertThat(heldThreads()).isEqualTo(before + 1);
    presence.leave(t, "u1").await();
    presence.leave(t, "u2").await();
    assertThat(presence.leave(thread(), "u3").await()).isFalse();
    assertThat(heldThreads()).isEqualTo(before);
  }
}
