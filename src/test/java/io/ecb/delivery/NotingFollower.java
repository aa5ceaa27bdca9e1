package io.ecb.delivery;

import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A follower owned by {@code loop} that notes each offset it is written and on which thread, and,
 * given a log shared by several, adds itself to it at each write: the order they were written to.
 */
final class NotingFollower implements Connection {
  private final Context loop;
  private final List<Connection> writes;
  private final List<Long> offsets = new ArrayList<>();
  final List<Thread> threads = new ArrayList<>();
  final CountDownLatch got;
  final CountDownLatch gotFirst = new CountDownLatch(1);

  NotingFollower(Context loop, int expected) {
    this(loop, expected, null);
  }

  NotingFollower(Context loop, int expected, List<Connection> writes) {
    this.loop = loop;
    this.writes = writes;
    this.got = new CountDownLatch(expected);
  }

  @Override
  public synchronized void deliver(Delivery delivery) {
    offsets.add(delivery.offset);
    threads.add(Thread.currentThread());
    if (writes != null) writes.add(this);
    got.countDown();
    gotFirst.countDown();
  }

  @Override
  public Context context() {
    return loop;
  }

  synchronized List<Long> offsets() {
    return List.copyOf(offsets);
  }
}
