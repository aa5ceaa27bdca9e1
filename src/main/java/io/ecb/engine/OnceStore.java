package io.ecb.engine;

import io.vertx.core.Future;

import java.util.List;

/**
 * Remembers, for a time window, what was already done once, cluster-wide: the records of
 * sendMessage's clientMessageId (per user, bounded) and the messageIds of publishes.
 * Futures complete on the caller's Vert.x context.
 */
public interface OnceStore {

  /** What {@link #begin} answers for a send still in progress. */
  String PENDING = "\u0000pending";
  /** What {@link #begin} answers when all of the owner's records are pending sends. */
  String FULL = "\u0000full";

  /**
   * Marks {@code key} of {@code owner} as pending unless it is known; null when this call marked
   * it, else its record, {@link #PENDING} or {@link #FULL}. The owner keeps at most
   * {@code perOwner} records: the oldest completed one gives way to a new send.
   */
  Future<String> begin(String owner, String key, long ttlSeconds, int perOwner);

  /** Stores the record of {@code key} (its window restarts), or with a null record frees the key for a new try. */
  Future<Void> finish(String owner, String key, String record, long ttlSeconds);

  /** The records kept for {@code owner}, pending ones as {@link #PENDING}. A blocking read, for tests and diagnostics. */
  List<String> records(String owner);

  /** Claims {@code key} for {@code ttlSeconds}; true when this call claimed it, false when it was claimed already. */
  Future<Boolean> claim(String key, long ttlSeconds);

  /** Gives up a claim, so that the next claim of {@code key} succeeds. */
  void release(String key);
}
