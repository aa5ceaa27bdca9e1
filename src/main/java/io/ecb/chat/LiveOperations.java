package io.ecb.chat;

import io.ecb.auth.Caller;
import io.ecb.backend.BackendClient;
import io.ecb.delivery.Publisher;
import io.ecb.delivery.Streams;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.presence.ThreadPresence;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What makes a chat feel live, the same for every transport: {@code recover} (what any stream
 * carried while a client was away), {@code getPresence} (who is in a thread now) and
 * {@code markRead} (a read receipt, stored in the thread's history like a message). Tokens are
 * checked as {@link ChatService} checks them: recover as a subscription to the stream would be,
 * getPresence and markRead as getThread (blockNonMembers included).
 */
public final class LiveOperations {

  private final ChatService chat;
  private final BackendClient backend;
  private final Publisher publisher;
  private final ThreadPresence presence;

  LiveOperations(ChatService chat, BackendClient backend, Publisher publisher, ThreadPresence presence) {
    this.chat = chat;
    this.backend = backend;
    this.publisher = publisher;
    this.presence = presence;
  }

  /**
   * {@code {address, sinceOffset, epoch}} → {@code {recovered, missed, offset, epoch}} for any
   * thread, user or channel stream the caller may follow, with section 7's semantics: exactly the
   * payloads after sinceOffset, oldest first, or {@code recovered: false} when history cannot
   * cover the gap or the epoch is not the stream's.
   */
  public Future<JsonObject> recover(Caller caller, String userToken, String threadToken, JsonObject body) {
    Object address = body == null ? null : body.getValue("address");
    Long since;
    try {
      if (!(address instanceof String) || ((String) address).isEmpty()) throw EcbException.badRequest("address (string) is required");
      since = ChatService.optionalOffset(body.getValue("sinceOffset"));
      if (since == null) throw EcbException.badRequest("sinceOffset is required");
    } catch (EcbException e) {
      return Future.failedFuture(e);
    }
    String epoch = body.getValue("epoch") == null ? null : String.valueOf(body.getValue("epoch"));
    return chat.authorizeSubscription(caller, (String) address, userToken, threadToken)
      .compose(grant -> publisher.log().since(grant.stream(), since, epoch))
      .map(rec -> new JsonObject().put("recovered", rec.recovered()).put("missed", ChatService.payloads(rec.missed()))
        .put("offset", rec.position().offset()).put("epoch", rec.position().epoch()));
  }

  /** {@code {threadId, online: [userId]}}: the users with a connection following the thread, on any node. */
  public Future<JsonObject> getPresence(Caller caller, String userToken, String threadToken, String pathThreadId) {
    return chat.callerInThread(caller, userToken, threadToken, pathThreadId).compose(access -> {
      String threadId = access.grant().threadId();
      return presence.online(threadId).map(users -> new JsonObject().put("threadId", threadId).put("online", new JsonArray(users)));
    });
  }

  /**
   * {@code {readOffset}} → the {@code markRead} webhook → {@code {kind: "read", threadId, userId,
   * readOffset}} stored in the thread's stream; the reply is that payload's fields with its own
   * offset and epoch. A readOffset the thread has not reached yet is refused; a lower or repeated
   * one is the backend's to judge.
   */
  public Future<JsonObject> markRead(Caller caller, String userToken, String threadToken, String pathThreadId, JsonObject body) {
    Long readOffset;
    try {
      readOffset = ChatService.optionalOffset(body == null ? null : body.getValue("readOffset"));
      if (readOffset == null) throw EcbException.badRequest("readOffset is required");
    } catch (EcbException e) {
      return Future.failedFuture(e);
    }
    return chat.callerInThread(caller, userToken, threadToken, pathThreadId).compose(access -> {
      String threadId = access.grant().threadId();
      String userId = access.user().userId();
      String stream = Streams.thread(threadId);
      return publisher.log().position(stream).compose(position -> {
        if (readOffset > position.offset()) {
          return Future.failedFuture(EcbException.badRequest("readOffset " + readOffset + " is past the thread's offset " + position.offset()));
        }
        return backend.call("markRead", new JsonObject().put("user", access.user().toJson()).put("threadId", threadId)
            .put("readOffset", readOffset))
          .recover(e -> Future.failedFuture(e instanceof EcbException x && x.code == ErrorCode.NOT_FOUND
            ? new EcbException(ErrorCode.NOT_FOUND, "read receipts are not supported by this backend") : e))
          .compose(reply -> publisher.publish(stream, new JsonObject()
            .put("kind", "read").put("threadId", threadId).put("userId", userId).put("readOffset", readOffset)))
          .map(appended -> new JsonObject().put("threadId", threadId).put("userId", userId).put("readOffset", readOffset)
            .put("offset", appended.offset()).put("epoch", appended.epoch()));
      });
    });
  }
}
