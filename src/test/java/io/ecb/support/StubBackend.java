package io.ecb.support;

import io.ecb.backend.TokenMinter;
import io.ecb.backend.WebhookCheck;
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
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A customer backend for tests and the benchmark: a real HTTP server that checks every webhook's
 * v1 and v2 signatures and refuses a request id it has seen (answering 401), records the calls, and
 * answers from a small in-memory model. A test can replace any operation's answer with {@link #on};
 * the benchmark replaces them all, turns recording off and times each answer ({@link #observe}).
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

  /** Told of each answered webhook: its operation and the time from request body received to reply written. */
  public interface Observer {
    void answered(String operation, long nanos);
  }

  public final Vertx vertx;
  public final TestKeys keys;
  /** The stub's routes; another may be added before {@link #start}. */
  public final Router router;
  private HttpServer server;
  public final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
  private final WebhookCheck check;
  private final TokenMinter minter;
  private final AtomicLong badSignatures = new AtomicLong();
  private volatile boolean recordCalls = true;
  private volatile boolean keepMessages = true;
  private volatile Observer observer = (operation, nanos) -> { };
  private final Map<String, Function<JsonObject, Future<Reply>>> overrides = new ConcurrentHashMap<>();
  public final Map<String, JsonObject> users = new ConcurrentHashMap<>();
  public final Map<String, JsonObject> threads = new ConcurrentHashMap<>();
  public final Map<String, List<JsonObject>> messages = new ConcurrentHashMap<>();
  /** threadId + '/' + userId → the highest readOffset markRead recorded. */
  public final Map<String, Long> reads = new ConcurrentHashMap<>();

  public StubBackend(Vertx vertx, TestKeys keys) {
    this(vertx, keys, SECRET);
  }

  public StubBackend(Vertx vertx, TestKeys keys, String secret) {
    this.vertx = vertx;
    this.keys = keys;
    this.router = Router.router(vertx);
    this.check = new WebhookCheck(List.of(secret), 300, 1_000_000, true);
    this.minter = new TokenMinter(vertx, keys.algorithm, keys.privatePem);
    for (int i = 1; i <= 5; i++) {
      users.put("u" + i, new JsonObject().put("userId", "u" + i).put("displayName", "User " + i));
    }
  }

  /** Listens on a free loopback port. */
  public Future<StubBackend> start() {
    return start(0);
  }

  public Future<StubBackend> start(int port) {
    router.post("/hooks/:operation").handler(BodyHandler.create(false));
    router.post("/hooks/:operation").handler(ctx -> {
      long start = System.nanoTime();
      String op = ctx.pathParam("operation");
      byte[] raw = ctx.body().buffer().getBytes();
      // Both versions must hold, and a request id may be used once.
      WebhookCheck.Result result = check.check(ctx.request().headers(), op, raw);
      boolean valid = result == WebhookCheck.Result.OK;
      JsonObject body = ctx.body().asJsonObject();
      if (recordCalls) calls.add(new Call(op, body, ctx.request().headers(), valid));
      if (!valid) {
        badSignatures.incrementAndGet();
        ctx.response().setStatusCode(result == WebhookCheck.Result.FULL ? 503 : 401).end("{\"error\":{\"message\":\"bad signature\"}}");
        return;
      }
      Function<JsonObject, Future<Reply>> handler = overrides.get(op);
      (handler != null ? handler.apply(body) : model(op, body)).onComplete(ar -> {
        if (ctx.response().closed()) return;
        Reply r = ar.succeeded() ? ar.result() : Reply.error(500, "stub failure");
        if (r == null) return; // never answer (timeout tests)
        ctx.response().setStatusCode(r.status()).putHeader("Content-Type", "application/json").end(Json.encode(r.body()));
        observer.answered(op, System.nanoTime() - start);
      });
    });
    return vertx.createHttpServer().requestHandler(router).listen(port, "127.0.0.1").map(s -> {
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

  /** Whether calls are kept in {@link #calls} (on by default; a long benchmark run turns it off). */
  public StubBackend recordCalls(boolean on) {
    this.recordCalls = on;
    return this;
  }

  /**
   * Whether added messages are kept for {@code getThread} (on by default). A benchmark turns it off:
   * a backend keeps them in its database, and 2,000 a second kept in this JVM's heap make each of
   * its young collections copy them, pauses that its handler's own timing never shows.
   */
  public StubBackend keepMessages(boolean on) {
    this.keepMessages = on;
    return this;
  }

  public StubBackend observe(Observer observer) {
    this.observer = observer;
    return this;
  }

  /** Webhooks refused since the start: bad signature, stale timestamp or a replayed request id. */
  public long badSignatures() {
    return badSignatures.get();
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

  /** A userToken or threadToken with these claims, signed with the stub's key. */
  public String sign(JsonObject claims, int expiresInSeconds) {
    return minter.sign(claims, expiresInSeconds);
  }

  public String userToken(String userId) {
    return userToken(userId, new JsonArray());
  }

  public String userToken(String userId, JsonArray channels) {
    JsonObject u = users.getOrDefault(userId, new JsonObject().put("userId", userId).put("displayName", userId));
    return sign(u.copy().put("channels", channels), 3600);
  }

  /** A well-formed userToken for {@code userId} whose signature is wrong: it costs a full signature check. */
  public String badlySignedUserToken(String userId) {
    String[] p = userToken(userId).split("\\.");
    byte[] sig = Base64.getUrlDecoder().decode(p[2]);
    sig[sig.length / 2] ^= 0x55;
    return p[0] + "." + p[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
  }

  /** A valid userToken a node has never seen (its data claim makes the text unique), so it is checked afresh. */
  public String freshUserToken(String userId, int n) {
    return sign(new JsonObject().put("userId", userId).put("displayName", userId)
      .put("data", new JsonObject().put("n", n).put("nonce", System.nanoTime())), 3600);
  }

  public String threadToken(String threadId, String... memberIds) {
    return sign(new JsonObject().put("threadId", threadId).put("memberIds", new JsonArray(List.of(memberIds))), 3600);
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
      case "markRead" -> {
        String id = req.getString("threadId");
        if (threads.containsKey(id) && !threads.get(id).getJsonArray("memberIds").contains(me)) yield Reply.error(403, "not a member");
        reads.merge(id + "/" + me, req.getLong("readOffset"), Math::max);
        yield Reply.ok(new JsonObject());
      }
      default -> Reply.error(404, "unknown operation");
    });
  }

  private JsonObject store(String threadId, String from, JsonObject message) {
    JsonObject m = new JsonObject().put("messageId", UUID.randomUUID().toString()).put("fromUserId", from)
      .put("creationTime", System.currentTimeMillis()).put("type", message.getString("type")).put("data", message.getValue("data"));
    if (keepMessages) messages.get(threadId).add(m);
    threads.get(threadId).put("lastMessageTime", m.getLong("creationTime"));
    return m;
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
