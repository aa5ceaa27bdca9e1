package io.ecb.support;

import io.ecb.backend.WebhookReplayGuard;
import io.ecb.backend.WebhookSignature;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A customer backend for tests: a real HTTP server that checks every webhook's v1 and v2
 * signatures and refuses a request id it has seen (answering 401), records the calls, and answers from a small in-memory model.
 * A test can replace any operation's answer with {@link #on}.
 */
public final class StubBackend {

  public static final String SECRET = "test-webhook-secret";

  /** A reply the stub sends: status and JSON body. */
  public record Reply(int status, Object body) {
    public static Reply ok(Object body) {
      return new Reply(200, body);
    }

    public static Reply error(int status, String message) {
      return new Reply(status, new JsonObject().put("error", new JsonObject().put("message", message)));
    }
  }

  /** One recorded webhook call. */
  public record Call(String operation, JsonObject body, MultiMap headers, boolean signatureValid) {
  }

  public final Vertx vertx;
  public final TestKeys keys;
  private HttpServer server;
  public final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
  private final WebhookReplayGuard replays = new WebhookReplayGuard(300, 1_000_000);
  private final Map<String, Function<JsonObject, Future<Reply>>> overrides = new ConcurrentHashMap<>();
  public final Map<String, JsonObject> users = new ConcurrentHashMap<>();
  public final Map<String, JsonObject> threads = new ConcurrentHashMap<>();
  public final Map<String, List<JsonObject>> messages = new ConcurrentHashMap<>();

  public StubBackend(Vertx vertx, TestKeys keys) {
    this.vertx = vertx;
    this.keys = keys;
    for (int i = 1; i <= 5; i++) {
      users.put("u" + i, new JsonObject().put("userId", "u" + i).put("displayName", "User " + i));
    }
  }

  public Future<StubBackend> start() {
    Router router = Router.router(vertx);
    router.post("/hooks/:operation").handler(BodyHandler.create(false));
    router.post("/hooks/:operation").handler(ctx -> {
      String op = ctx.pathParam("operation");
      byte[] raw = ctx.body().buffer().getBytes();
      String signature = ctx.request().getHeader(WebhookSignature.HEADER);
      String timestamp = ctx.request().getHeader(WebhookSignature.TIMESTAMP);
      String requestId = ctx.request().getHeader(WebhookSignature.REQUEST_ID);
      // Both versions must hold, and a request id may be used once.
      boolean valid = WebhookSignature.verify(signature, timestamp, raw, SECRET, 300)
        && WebhookSignature.verifyV2(signature, timestamp, requestId, op, raw, SECRET, 300)
        && replays.check(requestId, timestamp) == WebhookReplayGuard.Outcome.FIRST;
      JsonObject body = ctx.body().asJsonObject();
      calls.add(new Call(op, body, ctx.request().headers(), valid));
      if (!valid) {
        ctx.response().setStatusCode(401).end("{\"error\":{\"message\":\"bad signature\"}}");
        return;
      }
      Function<JsonObject, Future<Reply>> handler = overrides.get(op);
      (handler != null ? handler.apply(body) : model(op, body)).onComplete(ar -> {
        if (ctx.response().closed()) return;
        Reply r = ar.succeeded() ? ar.result() : Reply.error(500, "stub failure");
        if (r == null) return; // never answer (timeout tests)
        ctx.response().setStatusCode(r.status()).putHeader("Content-Type", "application/json").end(Json.encode(r.body()));
      });
    });
    return vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").map(s -> {
      server = s;
      return this;
    });
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/hooks";
  }

  public void on(String operation, Function<JsonObject, Future<Reply>> handler) {
    overrides.put(operation, handler);
  }

  public void reset() {
    overrides.clear();
    calls.clear();
  }

  public long count(String operation) {
    synchronized (calls) {
      return calls.stream().filter(c -> c.operation().equals(operation)).count();
    }
  }

  public Call last(String operation) {
    synchronized (calls) {
      for (int i = calls.size() - 1; i >= 0; i--) if (calls.get(i).operation().equals(operation)) return calls.get(i);
    }
    return null;
  }

  // ---- tokens

  public String userToken(String userId) {
    return userToken(userId, new JsonArray());
  }

  public String userToken(String userId, JsonArray channels) {
    JsonObject u = users.getOrDefault(userId, new JsonObject().put("userId", userId).put("displayName", userId));
    return keys.sign(vertx, u.copy().put("channels", channels), 3600);
  }

  public String threadToken(String threadId, String... memberIds) {
    return keys.sign(vertx, new JsonObject().put("threadId", threadId).put("memberIds", new JsonArray(List.of(memberIds))), 3600);
  }

  /** A thread the model knows, with members, for tests that skip createThread. */
  public JsonObject addThread(String threadId, String... memberIds) {
    JsonArray members = new JsonArray();
    for (String m : memberIds) members.add(users.get(m));
    JsonObject t = new JsonObject().put("threadId", threadId).put("memberIds", new JsonArray(List.of(memberIds)))
      .put("members", members).put("lastMessageTime", System.currentTimeMillis());
    threads.put(threadId, t);
    messages.put(threadId, Collections.synchronizedList(new ArrayList<>()));
    return thread(threadId);
  }

  public JsonObject thread(String threadId) {
    JsonObject t = threads.get(threadId);
    JsonArray ids = t.getJsonArray("memberIds");
    return new JsonObject().put("threadId", threadId)
      .put("threadToken", threadToken(threadId, ids.stream().map(String::valueOf).toArray(String[]::new)))
      .put("members", t.getJsonArray("members")).put("lastMessageTime", t.getLong("lastMessageTime"));
  }

  // ---- the default model

  private Future<Reply> model(String op, JsonObject req) {
    String me = req.getJsonObject("user") == null ? null : req.getJsonObject("user").getString("userId");
    return Future.succeededFuture(switch (op) {
      case "getUserToken" -> req.getString("accessToken").startsWith("access-")
        ? Reply.ok(new JsonObject().put("userToken", userToken(req.getString("accessToken").substring(7))))
        : Reply.error(401, "unknown accessToken");
      case "getContacts" -> {
        JsonArray out = new JsonArray();
        users.values().stream().filter(u -> !u.getString("userId").equals(me))
          .sorted((a, b) -> a.getString("userId").compareTo(b.getString("userId"))).forEach(out::add);
        yield Reply.ok(out);
      }
      case "getThreads" -> {
        JsonArray out = new JsonArray();
        threads.values().stream().filter(t -> t.getJsonArray("memberIds").contains(me))
          .map(t -> t.getString("threadId")).sorted().forEach(id -> out.add(thread(id)));
        yield Reply.ok(out);
      }
      case "createThread" -> {
        List<String> ids = new ArrayList<>();
        ids.add(me);
        for (Object m : req.getJsonArray("memberIds")) {
          if (!users.containsKey(m)) yield Reply.error(400, "unknown user " + m);
          if (!ids.contains(m)) ids.add((String) m);
        }
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        addThread(id, ids.toArray(String[]::new));
        JsonObject msg = store(id, me, req.getJsonObject("message"));
        yield Reply.ok(new JsonObject().put("thread", thread(id)).put("messages", new JsonArray().add(msg)));
      }
      case "getThread" -> {
        String id = req.getString("threadId");
        if (!threads.containsKey(id)) yield Reply.error(404, "no such thread");
        if (!threads.get(id).getJsonArray("memberIds").contains(me)) yield Reply.error(403, "not a member");
        yield Reply.ok(new JsonObject().put("thread", thread(id)).put("messages", new JsonArray(new ArrayList<>(messages.get(id)))));
      }
      case "addThreadMessage" -> {
        String id = req.getString("threadId");
        if (!threads.containsKey(id)) yield Reply.error(404, "no such thread");
        JsonObject msg = store(id, me, req.getJsonObject("message"));
        yield Reply.ok(new JsonObject().put("thread", thread(id)).put("message", msg));
      }
      default -> Reply.error(404, "unknown operation");
    });
  }

  private JsonObject store(String threadId, String from, JsonObject message) {
    JsonObject m = new JsonObject().put("messageId", UUID.randomUUID().toString()).put("fromUserId", from)
      .put("creationTime", System.currentTimeMillis()).put("type", message.getString("type")).put("data", message.getValue("data"));
    messages.get(threadId).add(m);
    threads.get(threadId).put("lastMessageTime", m.getLong("creationTime"));
    return m;
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
