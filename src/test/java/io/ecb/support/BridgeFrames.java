package io.ecb.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The event-bus bridge protocol of the test clients, whatever carries its frames: replies matched
 * to their requests, other frames queued per address until asked for, errors kept.
 */
final class BridgeFrames {

  private final Consumer<JsonObject> send;
  private final Map<String, Promise<JsonObject>> replies = new HashMap<>();
  private final Map<String, Queue<JsonObject>> received = new HashMap<>();
  private final Map<String, Queue<Promise<JsonObject>>> waiting = new HashMap<>();
  private final Map<String, Queue<JsonObject>> receivedPresence = new HashMap<>();
  private final Map<String, Queue<Promise<JsonObject>>> waitingPresence = new HashMap<>();
  final Queue<JsonObject> errors = new ArrayDeque<>();

  /** {@code send} puts one bridge frame on the transport. */
  BridgeFrames(Consumer<JsonObject> send) {
    this.send = send;
  }

  /** Takes a bridge frame the server sent. */
  synchronized void onFrame(JsonObject frame) {
    String address = frame.getString("address");
    Promise<JsonObject> reply = address == null ? null : replies.remove(address);
    if (reply != null) {
      if ("err".equals(frame.getString("type"))) reply.fail(failure(frame));
      else reply.complete(frame.getJsonObject("body"));
      return;
    }
    if ("err".equals(frame.getString("type"))) errors.add(frame);
    if (address == null) return;
    // Presence comes and goes with every follower; tests of other payloads never see it.
    Map<String, Queue<Promise<JsonObject>>> waiting = this.waiting;
    Map<String, Queue<JsonObject>> received = this.received;
    if (frame.getValue("body") instanceof JsonObject body && "presence".equals(body.getValue("kind"))) {
      waiting = waitingPresence;
      received = receivedPresence;
    }
    Queue<Promise<JsonObject>> w = waiting.get(address);
    if (w != null && !w.isEmpty()) w.poll().complete(frame);
    else received.computeIfAbsent(address, a -> new ArrayDeque<>()).add(frame);
  }

  /** See {@link BridgeClient#request}. */
  Future<JsonObject> request(String address, JsonObject headers, Object body) {
    String replyAddress = UUID.randomUUID().toString();
    Promise<JsonObject> p = Promise.promise();
    synchronized (this) {
      replies.put(replyAddress, p);
    }
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("replyAddress", replyAddress).put("body", body);
    if (headers != null) frame.put("headers", headers);
    // Sent outside the lock: a transport may hold its own lock while it fails the replies.
    send.accept(frame);
    return p.future();
  }

  /** See {@link BridgeClient#register}. */
  Future<Void> register(String address, JsonObject headers) {
    JsonObject frame = new JsonObject().put("type", "register").put("address", address);
    if (headers != null) frame.put("headers", headers);
    send.accept(frame);
    return request("ecb.nothing", null, new JsonObject()).transform(ar -> registerOutcome(address));
  }

  private synchronized Future<Void> registerOutcome(String address) {
    // The barrier request itself is refused; what counts is an error for `address`, if any.
    Queue<JsonObject> got = received.get(address);
    if (got != null) {
      for (JsonObject f : got) {
        if ("err".equals(f.getString("type"))) {
          got.remove(f);
          errors.remove(f);
          return Future.failedFuture(failure(f));
        }
      }
    }
    return Future.succeededFuture();
  }

  /** See {@link BridgeClient#next}. */
  synchronized Future<JsonObject> next(String address) {
    Queue<JsonObject> q = received.get(address);
    if (q != null && !q.isEmpty()) return Future.succeededFuture(q.poll());
    Promise<JsonObject> p = Promise.promise();
    waiting.computeIfAbsent(address, a -> new ArrayDeque<>()).add(p);
    return p.future();
  }

  /** See {@link BridgeClient#nextPresence}. */
  synchronized Future<JsonObject> nextPresence(String address) {
    Queue<JsonObject> q = receivedPresence.get(address);
    if (q != null && !q.isEmpty()) return Future.succeededFuture(q.poll());
    Promise<JsonObject> p = Promise.promise();
    waitingPresence.computeIfAbsent(address, a -> new ArrayDeque<>()).add(p);
    return p.future();
  }

  synchronized int pending(String address) {
    Queue<JsonObject> q = received.get(address);
    return q == null ? 0 : q.size();
  }

  /** Fails every request still waiting for its reply. */
  void failReplies(String why) {
    List<Promise<JsonObject>> unanswered;
    synchronized (this) {
      unanswered = new ArrayList<>(replies.values());
      replies.clear();
    }
    unanswered.forEach(p -> p.tryFail(why));
  }

  private static BridgeClient.Failure failure(JsonObject frame) {
    return new BridgeClient.Failure(frame.getInteger("failureCode", 0), new JsonObject(frame.getString("message")));
  }
}
