package io.ecb.engine;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/** Presence on a single node: which users it follows each thread for, in its heap. */
public final class MemoryPresence implements Presence {

  private final Vertx vertx;
  /** threadId → users; a thread with none is removed. Guarded by itself. */
  private final Map<String, Set<String>> threads = new HashMap<>();

  public MemoryPresence(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<Boolean> join(String threadId, String userId) {
    return Later.later(vertx, () -> {
      synchronized (threads) {
        return threads.computeIfAbsent(threadId, t -> new TreeSet<>()).add(userId);
      }
    });
  }

  @Override
  public Future<Boolean> leave(String threadId, String userId) {
    return Later.later(vertx, () -> {
      synchronized (threads) {
        Set<String> users = threads.get(threadId);
        if (users == null || !users.remove(userId)) return false;
        if (users.isEmpty()) threads.remove(threadId);
        return true;
      }
    });
  }

  @Override
  public Future<Set<String>> online(String threadId) {
    return Later.later(vertx, () -> {
      synchronized (threads) {
        return Set.copyOf(threads.getOrDefault(threadId, Set.of()));
      }
    });
  }

  @Override
  public void onDeparted(BiConsumer<String, String> handler) {
    // One node: no other node can leave.
  }

  /** Threads that anyone follows (state is bounded by them). */
  public int threadCount() {
    synchronized (threads) {
      return threads.size();
    }
  }
}
