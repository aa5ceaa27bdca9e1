package io.ecb.chat;

import io.ecb.error.ErrorCode;
import io.ecb.error.EcbException;
import io.ecb.engine.OnceStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Makes sendMessage idempotent per (userId, threadId, clientMessageId) for a time window, across
 * the cluster ({@link OnceStore}): a retry that reaches any node gets the first result instead of a second webhook.
 * The first request marks the send as pending; a retry that arrives while it is still pending gets
 * CONFLICT (retry later); a failed first attempt frees it so a retry can try again.
 *
 * <p>What a send leaves behind is a {@link Sent} record of about a hundred bytes (messageId,
 * offset, epoch, creation time, type), not the result: the message itself is in the thread's
 * history, where a retry reads it back (see {@link ChatService}). The records of one user are one
 * entry of {@code ecb.dedup} keyed by userId, holding at most {@code limits.dedupPerUser} of them;
 * past that the oldest completed record gives way, so a user who sends more than that within the
 * window has a shorter window for the oldest sends, never an unbounded store. The clientMessageId
 * is kept only as a 128-bit hash, so a long one costs nothing either.
 */
public final class SendDedup {

  /** What a retry needs to answer: the first result's message identity and place in the stream. */
  public record Sent(String messageId, long offset, String epoch, long creationTime, String type) {

    String encode() {
      JsonObject o = new JsonObject().put("o", offset).put("e", epoch).put("t", creationTime);
      if (messageId != null) o.put("m", messageId);
      if (type != null) o.put("y", type);
      return o.encode();
    }

    static Sent decode(String json) {
      JsonObject o = new JsonObject(json);
      return new Sent(o.getString("m"), o.getLong("o"), o.getString("e"), o.getLong("t", 0L), o.getString("y"));
    }
  }

  /** A first attempt's reply to the caller, and the record kept for its retries. */
  public record Result(JsonObject reply, Sent sent) {
  }

  private final OnceStore store;
  private final long ttlSeconds;
  private final int perUser;

  public SendDedup(OnceStore store, long ttlSeconds, int perUser) {
    this.store = store;
    this.ttlSeconds = ttlSeconds;
    this.perUser = Math.max(1, perUser);
  }

  /**
   * Runs {@code action} unless this (user, scope, clientMessageId) was sent within the window; a
   * retry's reply is built by {@code replay} from the first attempt's record.
   */
  public Future<JsonObject> once(String userId, String scope, String clientMessageId,
                                 Supplier<Future<Result>> action, Function<Sent, Future<JsonObject>> replay) {
    String key = key(scope, clientMessageId);
    return store.begin(userId, key, ttlSeconds, perUser)
      .compose(previous -> {
        if (previous == null) {
          return action.get()
            .compose(result -> store.finish(userId, key, result.sent().encode(), ttlSeconds).map(v -> result.reply()))
            .onFailure(e -> store.finish(userId, key, null, ttlSeconds));
        }
        if (OnceStore.PENDING.equals(previous)) {
          return Future.failedFuture(new EcbException(ErrorCode.CONFLICT,
            "a message with this clientMessageId is still being sent; retry shortly"));
        }
        if (OnceStore.FULL.equals(previous)) {
          return Future.failedFuture(new EcbException(ErrorCode.RATE_LIMITED,
            "too many messages of this user are still being sent; retry shortly"));
        }
        return replay.apply(Sent.decode(previous));
      });
  }

  /** The records kept for {@code userId} (for tests and diagnostics; a blocking read). */
  List<String> records(String userId) {
    return store.records(userId);
  }

  private static String key(String scope, String clientMessageId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
        .digest((scope + "\n" + clientMessageId).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
