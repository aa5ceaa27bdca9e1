package io.ecb.chat;

import io.ecb.error.ErrorCode;
import io.ecb.error.EcbException;
import io.ecb.auth.Caller;
import io.ecb.auth.ChatUser;
import io.ecb.auth.ThreadGrant;
import io.ecb.auth.TokenVerifier;
import io.ecb.auth.VerifiedUser;
import io.ecb.backend.BackendClient;
import io.ecb.config.EcbConfig;
import io.ecb.module.Module;
import io.ecb.module.Periodic;
import io.vertx.core.Vertx;
import io.ecb.delivery.Publisher;
import io.ecb.delivery.StreamGrant;
import io.ecb.engine.StreamLog;
import io.ecb.presence.ThreadPresence;
import io.ecb.delivery.Streams;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The six chat operations (and, in {@link #live}, recover, getPresence and markRead), the same for every transport: verify the caller's tokens, check the
 * request, call the customer backend's webhook, verify the tokens it hands back, publish what
 * clients must hear about, and build the reply. Transports only turn their frames into these calls
 * and the results (or {@link EcbException}s) back into frames.
 *
 * <p>Every operation takes the {@link Caller} first: a connection makes one when it opens
 * ({@link Caller#connection}, with what to do when its failed token checks run over) and passes
 * it to every call; an HTTP request makes one per request ({@link Caller#request}).
 */
public final class ChatService implements Module {

  private static final long SWEEP_MS = 60_000;

  private final TokenVerifier tokens;
  private final BackendClient backend;
  private final Publisher publisher;
  private final SendDedup dedup;
  private final EcbConfig config;
  private final RateLimiter requests;
  private final Map<String, Long> lastTyping = new ConcurrentHashMap<>();
  private final Periodic sweeper;
  /** recover, getPresence and markRead. */
  public final LiveOperations live;

  public ChatService(Vertx vertx, TokenVerifier tokens, BackendClient backend, Publisher publisher, SendDedup dedup,
                     ThreadPresence presence, EcbConfig config) {
    this.tokens = tokens;
    this.backend = backend;
    this.publisher = publisher;
    this.dedup = dedup;
    this.config = config;
    this.requests = new RateLimiter(config.limits.requestsPerSecond, config.limits.requestBurst);
    this.sweeper = new Periodic(vertx, SWEEP_MS, this::sweep);
    this.live = new LiveOperations(this, backend, publisher, presence);
  }

  public TokenVerifier tokens() {
    return tokens;
  }

  SendDedup dedup() {
    return dedup;
  }

  @Override
  public Future<Void> start() {
    return sweeper.start();
  }

  @Override
  public Future<Void> stop() {
    return sweeper.stop();
  }

  /** Periodic clean-up of per-user limiter state. */
  void sweep() {
    requests.sweep();
    long cutoff = System.currentTimeMillis() - Math.max(config.limits.typingIntervalMs, 1000) * 10;
    lastTyping.values().removeIf(t -> t < cutoff);
  }

  /**
   * Trades an accessToken for a userToken. The backend checks the accessToken; one it refuses
   * (401) counts as a failed token check of the caller, so guessing accessTokens through ECB is
   * limited like guessing userTokens.
   */
  public Future<JsonObject> getUserToken(Caller caller, JsonObject body) {
    String accessToken = body == null ? null : body.getValue("accessToken") instanceof String s ? s : null;
    if (accessToken == null || accessToken.isBlank()) {
      return Future.failedFuture(EcbException.badRequest("accessToken (string) is required"));
    }
    return tokens.failedChecks().check(caller, () -> backend.call("getUserToken", new JsonObject().put("accessToken", accessToken)))
      .compose(reply -> {
        String userToken = reply instanceof JsonObject o && o.getValue("userToken") instanceof String s ? s : null;
        if (userToken == null) return Future.failedFuture(backendError("getUserToken: reply has no userToken"));
        return tokens.verifyUser(Caller.BACKEND, userToken)
          .recover(e -> Future.failedFuture(backendError("getUserToken: backend returned an invalid userToken")))
          .map(user -> new JsonObject().put("userToken", userToken).put("user", user.toJson()));
      });
  }

  public Future<JsonObject> getContacts(Caller caller, String userToken, Paging paging) {
    return caller(caller, userToken).compose(user ->
      backend.call("getContacts", new JsonObject().put("user", user.toJson()))
        .compose(reply -> reply instanceof JsonArray all
          ? Future.succeededFuture(paging.page(all))
          : Future.failedFuture(backendError("getContacts: reply is not a list of users"))));
  }

  public Future<JsonObject> getThreads(Caller caller, String userToken, Paging paging) {
    return caller(caller, userToken).compose(user ->
      backend.call("getThreads", new JsonObject().put("user", user.toJson()))
        .compose(reply -> {
          if (!(reply instanceof JsonArray all)) return Future.failedFuture(backendError("getThreads: reply is not a list of threads"));
          JsonObject page = paging.page(all);
          List<Future<ThreadGrant>> checks = new ArrayList<>();
          for (Object t : page.getJsonArray("items")) checks.add(verifyThread("getThreads", t));
          return Future.all(checks).map(page);
        }));
  }

  public Future<JsonObject> createThread(Caller caller, String userToken, JsonObject body) {
    return caller(caller, userToken).compose(user -> {
      JsonArray memberIds = body == null ? null : body.getValue("memberIds") instanceof JsonArray a ? a : null;
      if (memberIds == null || memberIds.isEmpty() || !memberIds.stream().allMatch(m -> m instanceof String s && !s.isBlank())) {
        return Future.failedFuture(EcbException.badRequest("memberIds must be a non-empty array of userIds"));
      }
      JsonObject message = validMessage(body.getValue("message"), false);
      JsonObject request = new JsonObject()
        .put("user", user.toJson())
        .put("memberIds", memberIds)
        .put("data", body.getValue("data"))
        .put("message", message);
      return backend.call("createThread", request)
        .compose(reply -> threadAndMessages("createThread", reply))
        .compose(reply -> announceThread(user, reply.getJsonObject("thread")).map(reply));
    });
  }

  public Future<JsonObject> getThread(Caller caller, String userToken, String threadToken, String pathThreadId, JsonObject body) {
    Long since;
    String epoch;
    try {
      since = optionalOffset(body == null ? null : body.getValue("sinceOffset"));
      epoch = body == null || body.getValue("epoch") == null ? null : String.valueOf(body.getValue("epoch"));
    } catch (EcbException e) {
      return Future.failedFuture(e);
    }
    return callerInThread(caller, userToken, threadToken, pathThreadId).compose(access -> {
      String stream = Streams.thread(access.grant.threadId());
      StreamLog log = publisher.log();
      // The stream's position is read before the backend call, so whatever is published after it
      // reaches a client that registered first, either in this reply or live.
      Future<StreamLog.Recovery> position = since == null
        ? log.position(stream).map(p -> new StreamLog.Recovery(p, false, List.of()))
        : log.since(stream, since, epoch);
      return position.compose(rec -> backend.call("getThread", new JsonObject()
            .put("user", access.user.toJson()).put("threadId", access.grant.threadId()))
          .compose(reply -> threadAndMessages("getThread", reply))
          .map(reply -> {
            reply.put("offset", rec.position().offset()).put("epoch", rec.position().epoch());
            if (since != null) reply.put("recovered", rec.recovered()).put("missed", payloads(rec.missed()));
            return reply;
          }));
    });
  }

  public Future<JsonObject> sendMessage(Caller caller, String userToken, String threadToken, String pathThreadId, JsonObject body) {
    return callerInThread(caller, userToken, threadToken, pathThreadId).compose(access -> {
      JsonObject message = validMessage(body == null ? null : body.getValue("message"), true);
      String threadId = access.grant.threadId();
      if ("typing".equals(message.getString("type"))) return typing(access.user, threadId, message);
      Object cmid = body.getValue("clientMessageId");
      if (cmid != null && !(cmid instanceof String)) {
        return Future.failedFuture(EcbException.badRequest("clientMessageId must be a string"));
      }
      JsonObject request = new JsonObject()
        .put("user", access.user.toJson())
        .put("threadId", threadId)
        .put("message", message)
        .put("clientMessageId", cmid);
      if (cmid == null) return addMessage(threadId, request).map(SendDedup.Result::reply);
      return dedup.once(access.user.userId(), threadId, (String) cmid, () -> addMessage(threadId, request),
        sent -> retried(threadId, threadToken, sent));
    });
  }

  /**
   * The answer to a retried send, from the first attempt's record: the same messageId and offset,
   * and the message as the thread's history still holds it. When history no longer holds it (the
   * stream's history was trimmed or evicted), the message is only {@code {messageId,
   * creationTime, type}}. {@code thread} is {@code {threadId, threadToken}} with the retry's own
   * threadToken: the backend's full thread object is not kept.
   */
  private Future<JsonObject> retried(String threadId, String threadToken, SendDedup.Sent sent) {
    return publisher.log().at(Streams.thread(threadId), sent.offset(), sent.epoch()).map(json -> {
      JsonObject held = json == null ? null : new JsonObject(json).getJsonObject("message");
      JsonObject message = held != null && Objects.equals(held.getString("messageId"), sent.messageId()) ? held
        : new JsonObject().put("messageId", sent.messageId()).put("creationTime", sent.creationTime());
      if (message != held && sent.type() != null) message.put("type", sent.type());
      return new JsonObject()
        .put("thread", new JsonObject().put("threadId", threadId).put("threadToken", threadToken))
        .put("message", message)
        .put("offset", sent.offset());
    });
  }

  private Future<SendDedup.Result> addMessage(String threadId, JsonObject request) {
    return backend.call("addThreadMessage", request).compose(reply -> {
      if (!(reply instanceof JsonObject r) || !(r.getValue("message") instanceof JsonObject stored)) {
        return Future.failedFuture(backendError("addThreadMessage: reply has no message"));
      }
      return verifyThread("addThreadMessage", r.getValue("thread")).compose(grant -> {
        if (!grant.threadId().equals(threadId)) {
          return Future.<SendDedup.Result>failedFuture(backendError("addThreadMessage: reply is for another thread"));
        }
        JsonObject payload = new JsonObject().put("kind", "message").put("threadId", threadId).put("message", stored);
        return publisher.publish(Streams.thread(threadId), payload).map(appended -> new SendDedup.Result(new JsonObject()
            .put("thread", r.getJsonObject("thread"))
            .put("message", stored)
            .put("offset", appended.offset()),
          new SendDedup.Sent(stored.getValue("messageId") instanceof String id ? id : null, appended.offset(), appended.epoch(),
            stored.getValue("creationTime") instanceof Number t ? t.longValue() : System.currentTimeMillis(),
            stored.getValue("type") instanceof String type && type.length() <= 100 ? type : null)));
      });
    });
  }

  private Future<JsonObject> typing(ChatUser user, String threadId, JsonObject message) {
    long now = System.currentTimeMillis();
    String key = user.userId() + "|" + threadId;
    Long before = lastTyping.put(key, now);
    if (before != null && now - before < config.limits.typingIntervalMs) {
      lastTyping.put(key, before);
      return Future.failedFuture(new EcbException(ErrorCode.RATE_LIMITED, "typing is sent at most every "
        + config.limits.typingIntervalMs + " ms"));
    }
    publisher.publishTransient(Streams.thread(threadId), new JsonObject()
      .put("kind", "typing").put("threadId", threadId).put("fromUserId", user.userId()).put("data", message.getValue("data")));
    JsonObject echoed = new JsonObject()
      .put("messageId", "typing-" + UUID.randomUUID())
      .put("fromUserId", user.userId())
      .put("creationTime", now)
      .put("type", "typing")
      .put("data", message.getValue("data"));
    return Future.succeededFuture(new JsonObject().put("thread", new JsonObject().put("threadId", threadId)).put("message", echoed));
  }

  /** Tells every other member about a new thread on their user stream. */
  private Future<Void> announceThread(ChatUser creator, JsonObject thread) {
    List<Future<?>> sent = new ArrayList<>();
    for (Object m : thread.getJsonArray("members", new JsonArray())) {
      if (m instanceof JsonObject member && member.getString("userId") != null && !member.getString("userId").equals(creator.userId())) {
        sent.add(publisher.publish(Streams.user(member.getString("userId")),
          new JsonObject().put("kind", "threadCreated").put("thread", thread)));
      }
    }
    return Future.all(sent).mapEmpty();
  }

  // ---- subscriptions

  /**
   * Decides whether a connection may follow a stream, from the address it registers and the
   * tokens it brings; the result is the stream name.
   */
  public Future<StreamGrant> authorizeSubscription(Caller caller, String address, String userToken, String threadToken) {
    return authorizeSubscription(caller, address, () -> caller(caller, userToken, false), threadToken);
  }

  /**
   * As {@link #authorizeSubscription(Caller, String, String, String)}, for a connection that
   * verified its userToken when it opened ({@link #connectionUser}; null when it brought none).
   */
  public Future<StreamGrant> authorizeSubscription(Caller caller, String address, VerifiedUser known, String threadToken) {
    return authorizeSubscription(caller, address, () -> subscriber(caller, known), threadToken);
  }

  /** The address is checked before {@code subscriber} is asked for the user, so a bad one costs no token check. */
  private Future<StreamGrant> authorizeSubscription(Caller caller, String address, Supplier<Future<ChatUser>> subscriber, String threadToken) {
    String stream = address == null ? null : Streams.fromAddress(address);
    if (stream == null) return Future.failedFuture(new EcbException(ErrorCode.FORBIDDEN, "address not permitted"));
    String name = stream.substring(stream.indexOf(':') + 1);
    // Checked once per connection: its tokens are not added to the remembered ones.
    return switch (stream.substring(0, stream.indexOf(':'))) {
      case Streams.THREAD -> subscriber.get().compose(user -> followThread(user, caller, threadToken, name));
      case Streams.USER -> subscriber.get().compose(user -> user.userId().equals(name)
        ? Future.succeededFuture(new StreamGrant(stream, user.userId()))
        : Future.failedFuture(EcbException.forbidden("only " + name + " may follow this user stream")));
      default -> subscriber.get().compose(user -> mayFollowChannel(user, name)
        ? Future.succeededFuture(new StreamGrant(stream, user.userId()))
        : Future.failedFuture(EcbException.forbidden("channel " + name + " is not in the userToken's channels")));
    };
  }

  /**
   * Authorizes following the thread that {@code threadToken} names, for a connection that verified
   * its userToken when it opened; the result names the thread's stream.
   */
  public Future<StreamGrant> authorizeThread(Caller caller, VerifiedUser known, String threadToken) {
    return subscriber(caller, known).compose(user -> followThread(user, caller, threadToken, null));
  }

  /** {@code user} following the thread of {@code threadToken} ({@code expectedThreadId}'s, when given). */
  private Future<StreamGrant> followThread(ChatUser user, Caller caller, String threadToken, String expectedThreadId) {
    return inThread(user, caller, threadToken, expectedThreadId, false)
      .map(a -> new StreamGrant(Streams.thread(a.grant.threadId()), a.user.userId()));
  }

  /**
   * The subscribing user: {@code known} while it stands, else its token checked again (which
   * refuses an expired one); charged a request either way.
   */
  private Future<ChatUser> subscriber(Caller caller, VerifiedUser known) {
    if (known != null && tokens.stillValid(known)) return charged(known.user());
    return caller(caller, known == null ? null : known.token(), false);
  }

  public boolean mayFollowChannel(ChatUser user, String channel) {
    return user.channels().contains(channel) || config.channels.publicNames.contains(channel);
  }

  // ---- checks shared by the operations

  record Access(ChatUser user, ThreadGrant grant) {
  }

  /** Verifies the userToken that {@code caller} presents and charges the user's request budget. */
  public Future<ChatUser> caller(Caller caller, String userToken) {
    return caller(caller, userToken, true);
  }

  /** As {@link #caller(Caller, String)}; with {@code rememberToken} false (a subscription) the token is not remembered. */
  public Future<ChatUser> caller(Caller caller, String userToken, boolean rememberToken) {
    return tokens.verifyUser(caller, userToken, rememberToken).compose(this::charged);
  }

  /**
   * The userToken a connection presents for its whole life, verified (not remembered) and charged
   * like a request; the connection keeps the result for its subscriptions.
   */
  public Future<VerifiedUser> connectionUser(Caller caller, String userToken) {
    return tokens.verifyConnectionUser(caller, userToken).compose(v -> charged(v.user()).map(v));
  }

  /** {@code user}, charged one request of its budget; RATE_LIMITED past it. */
  private Future<ChatUser> charged(ChatUser user) {
    return requests.tryAcquire(user.userId())
      ? Future.succeededFuture(user)
      : Future.failedFuture(new EcbException(ErrorCode.RATE_LIMITED, "too many requests; slow down"));
  }

  Future<Access> callerInThread(Caller caller, String userToken, String threadToken, String expectedThreadId) {
    return callerInThread(caller, userToken, threadToken, expectedThreadId, true);
  }

  private Future<Access> callerInThread(Caller caller, String userToken, String threadToken, String expectedThreadId, boolean rememberTokens) {
    return caller(caller, userToken, rememberTokens).compose(user -> inThread(user, caller, threadToken, expectedThreadId, rememberTokens));
  }

  private Future<Access> inThread(ChatUser user, Caller caller, String threadToken, String expectedThreadId, boolean rememberTokens) {
    return tokens.verifyThread(caller, threadToken, rememberTokens).compose(grant -> {
      if (expectedThreadId != null && !expectedThreadId.equals(grant.threadId())) {
        return Future.failedFuture(EcbException.forbidden("threadToken is for another thread"));
      }
      if (config.threads.blockNonMembers && !grant.isMember(user.userId())) {
        return Future.failedFuture(EcbException.forbidden("not a member of this thread"));
      }
      return Future.succeededFuture(new Access(user, grant));
    });
  }

  private Future<ThreadGrant> verifyThread(String operation, Object thread) {
    if (!(thread instanceof JsonObject t) || !(t.getValue("threadToken") instanceof String token)) {
      return Future.failedFuture(backendError(operation + ": thread has no threadToken"));
    }
    return tokens.verifyThread(Caller.BACKEND, token)
      .recover(e -> Future.failedFuture(backendError(operation + ": backend returned an invalid threadToken")))
      .compose(grant -> grant.threadId().equals(t.getString("threadId"))
        ? Future.succeededFuture(grant)
        : Future.failedFuture(backendError(operation + ": threadToken is for another thread")));
  }

  private Future<JsonObject> threadAndMessages(String operation, Object reply) {
    if (!(reply instanceof JsonObject r) || !(r.getValue("thread") instanceof JsonObject)) {
      return Future.failedFuture(backendError(operation + ": reply has no thread"));
    }
    if (!(r.getValue("messages") instanceof JsonArray)) r.put("messages", new JsonArray());
    return verifyThread(operation, r.getValue("thread")).map(r);
  }

  /** A message is {@code {type, data}}; text needs {@code data.messageText}, typing a boolean. */
  private static JsonObject validMessage(Object value, boolean typingAllowed) {
    if (!(value instanceof JsonObject m) || !(m.getValue("type") instanceof String type) || type.isBlank()) {
      throw EcbException.badRequest("message must be an object with a string type");
    }
    switch (type) {
      case "text" -> {
        if (!(m.getValue("data") instanceof JsonObject d) || !(d.getValue("messageText") instanceof String)) {
          throw EcbException.badRequest("a text message needs data.messageText (string)");
        }
      }
      case "typing" -> {
        if (!typingAllowed) throw EcbException.badRequest("a thread cannot start with a typing message");
        if (!(m.getValue("data") instanceof Boolean)) throw EcbException.badRequest("a typing message needs boolean data");
      }
      default -> {
        if (!m.containsKey("data")) throw EcbException.badRequest("message needs data");
      }
    }
    return new JsonObject().put("type", type).put("data", m.getValue("data"));
  }

  /** Stored payloads (JSON text) as the {@code missed} of a reply. */
  static JsonArray payloads(List<String> stored) {
    JsonArray out = new JsonArray();
    stored.forEach(json -> out.add(new JsonObject(json)));
    return out;
  }

  static Long optionalOffset(Object v) {
    if (v == null) return null;
    if (v instanceof String s) {
      if (s.isEmpty()) return null;
      try {
        v = Long.parseLong(s);
      } catch (NumberFormatException e) {
        throw EcbException.badRequest("sinceOffset must be an integer >= 0");
      }
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
      throw EcbException.badRequest("sinceOffset must be an integer >= 0");
    }
    return ((Number) v).longValue();
  }

  static EcbException backendError(String message) {
    return new EcbException(ErrorCode.BACKEND_ERROR, message);
  }
}
