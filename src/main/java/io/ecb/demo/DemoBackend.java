package io.ecb.demo;

import io.ecb.auth.HmacSha256;
import io.ecb.backend.TokenMinter;
import io.ecb.backend.WebhookCheck;
import io.ecb.config.EcbConfig;
import io.ecb.module.Module;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The demo customer backend, and the reference for building a real one: it answers ECB's
 * webhooks (the six chat operations and markRead) at {@code /demo/backend/{operation}} over real HTTP, checks each request's v2 signature
 * and refuses a request id it has seen, keeps users and threads in memory, and signs userTokens
 * and threadTokens with its own RSA key (ECB verifies them with the public half), each typed by
 * its {@code typ} claim. The demo page logs in at {@code /demo/login}, which stands for the
 * customer's own login and hands out an opaque accessToken: the user and an expiry under an HMAC
 * keyed from the webhook secret, never a token signed with the key ECB trusts, so it cannot pass
 * for a userToken. Being self-contained, it holds no memory and is good on every node of a demo
 * cluster (all of them share the webhook secret), whichever node's demo answers getUserToken.
 *
 * <p>The key pair under {@code resources/demo/} is public and for the demo only.
 */
public final class DemoBackend implements Module {

  public static final String WEBHOOK_SECRET = "demo-webhook-secret";
  private static final long TOKEN_SECONDS = 3600;
  /** How far a webhook's timestamp may be from now; a request id is remembered that long. */
  static final long WEBHOOK_TOLERANCE_SECONDS = 300;
  private static final long ACCESS_TOKEN_SECONDS = 12 * 3600;
  private static final int MAC_BYTES = 32;

  private final TokenMinter signer;
  private final WebhookCheck webhookCheck;
  /** Key of the accessTokens' HMAC, derived so that the webhook secret itself signs nothing else. */
  private final byte[] accessTokenKey;
  private final Map<String, JsonObject> users = new LinkedHashMap<>();
  private final Map<String, DemoThread> threads = new LinkedHashMap<>();

  private static final class DemoThread {
    final String threadId;
    final List<String> memberIds;
    final Object data;
    final List<JsonObject> messages = new ArrayList<>();
    /** userId → the highest offset that user has read. */
    final Map<String, Long> reads = new LinkedHashMap<>();
    long lastMessageTime;

    DemoThread(String threadId, List<String> memberIds, Object data) {
      this.threadId = threadId;
      this.memberIds = memberIds;
      this.data = data;
    }
  }

  public DemoBackend(Vertx vertx, EcbConfig config) {
    this.signer = new TokenMinter(vertx, "RS256", resource("demo/demo-private.pem"));
    // The backend knows every secret ECB may sign with (two while they rotate).
    List<String> webhookSecrets = config.backend.webhookSecrets.isEmpty() ? List.of(WEBHOOK_SECRET) : config.backend.webhookSecrets;
    this.webhookCheck = new WebhookCheck(webhookSecrets, WEBHOOK_TOLERANCE_SECONDS, 100_000, false);
    this.accessTokenKey = HmacSha256.sign(webhookSecrets.get(0).getBytes(StandardCharsets.UTF_8), "ecb-demo-access-token".getBytes(StandardCharsets.UTF_8));
    user("alice", "Alice Martin", new JsonObject().put("isAgent", false));
    user("bob", "Bob Chen", new JsonObject().put("isAgent", false));
    user("carol", "Carol Diaz", new JsonObject().put("isAgent", false));
    user("sam", "Sam (Support)", new JsonObject().put("isAgent", true));
  }

  /** With the demo on, ECB uses the demo's key, URL and webhook secret unless config names others. */
  public static void applyDefaults(JsonObject config) {
    if (!config.getJsonObject("demo", new JsonObject()).getBoolean("enabled", false)) return;
    JsonObject auth = config.getJsonObject("auth");
    if (auth.getString("publicKey", "").isBlank() && auth.getString("jwksUrl", "").isBlank()) {
      auth.put("publicKey", resource("demo/demo-public.pem")).put("algorithm", "RS256");
    }
    JsonObject backend = config.getJsonObject("backend");
    if (backend.getString("url", "").isBlank()) {
      backend.put("url", "http://127.0.0.1:" + config.getJsonObject("http").getInteger("port") + "/demo/backend");
    }
    Object secret = backend.getValue("webhookSecret");
    if (secret == null || secret instanceof JsonArray a && a.isEmpty() || secret instanceof String s && s.isBlank()) {
      backend.put("webhookSecret", new JsonArray().add(WEBHOOK_SECRET));
    }
  }

  static String resource(String name) {
    try (InputStream in = DemoBackend.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("missing resource " + name, e);
    }
  }

  private void user(String id, String name, JsonObject data) {
    users.put(id, new JsonObject().put("userId", id).put("displayName", name).put("data", data));
  }

  /** The page, its login, and the webhooks. */
  @Override
  public void mount(Router router) {
    router.get("/").handler(ctx -> ctx.reroute("/demo/index.html"));
    router.get("/demo/users").handler(ctx -> ctx.json(new JsonArray(new ArrayList<>(users.values()))));
    router.post("/demo/*").handler(BodyHandler.create(false).setBodyLimit(65536));
    router.post("/demo/login").handler(this::login);
    router.post("/demo/backend/:operation").handler(this::webhook);
    router.get("/demo/*").handler(StaticHandler.create("webroot/demo"));
  }

  /** Stands for the customer's own login: here anyone may be any demo user. */
  private void login(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String userId = body == null ? null : body.getString("userId");
    if (userId == null || !users.containsKey(userId)) {
      error(ctx, 404, "no such demo user");
      return;
    }
    byte[] payload = (userId + ":" + (System.currentTimeMillis() / 1000 + ACCESS_TOKEN_SECONDS)).getBytes(StandardCharsets.UTF_8);
    byte[] token = Arrays.copyOf(payload, payload.length + MAC_BYTES);
    System.arraycopy(HmacSha256.sign(accessTokenKey, payload), 0, token, payload.length, MAC_BYTES);
    ctx.json(new JsonObject().put("accessToken", Base64.getUrlEncoder().withoutPadding().encodeToString(token)));
  }

  /** The user an accessToken of {@link #login} names, or null when it is forged, mangled or expired. */
  private String accessTokenUser(String accessToken) {
    byte[] token;
    try {
      token = Base64.getUrlDecoder().decode(accessToken);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (token.length <= MAC_BYTES) return null;
    byte[] payload = Arrays.copyOf(token, token.length - MAC_BYTES);
    if (!MessageDigest.isEqual(HmacSha256.sign(accessTokenKey, payload), Arrays.copyOfRange(token, payload.length, token.length))) return null;
    String text = new String(payload, StandardCharsets.UTF_8);
    int colon = text.lastIndexOf(':');
    try {
      return Long.parseLong(text.substring(colon + 1)) > System.currentTimeMillis() / 1000 ? text.substring(0, colon) : null;
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return null;
    }
  }

  private void webhook(RoutingContext ctx) {
    // 1. Only ECB may call: check the v2 signature over request id, operation and raw body, and
    //    the timestamp's freshness; then refuse a request id seen within that window (a replay).
    byte[] raw = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    String operation = ctx.pathParam("operation");
    switch (webhookCheck.check(ctx.request().headers(), operation, raw)) {
      case BAD_SIGNATURE -> {
        error(ctx, 401, "bad webhook signature");
        return;
      }
      case REPLAYED -> {
        error(ctx, 401, "webhook request id already used");
        return;
      }
      case FULL -> {
        error(ctx, 503, "too many webhook requests to remember; retry");
        return;
      }
      default -> {
      }
    }
    JsonObject req = ctx.body().asJsonObject();
    // 2. ECB has verified the caller's userToken; `user` is who is asking.
    JsonObject user = req.getJsonObject("user");
    String me = user == null ? null : user.getString("userId");
    Future<Object> reply;
    synchronized (this) {
      reply = switch (operation) {
        case "getUserToken" -> getUserToken(req.getString("accessToken"));
        case "getContacts" -> Future.succeededFuture(contacts(me));
        case "getThreads" -> Future.succeededFuture(threadsOf(me));
        case "createThread" -> createThread(me, req);
        case "getThread" -> getThread(me, req.getString("threadId"));
        case "addThreadMessage" -> addMessage(me, req);
        case "markRead" -> markRead(me, req);
        default -> Future.failedFuture(new DemoError(404, "unknown operation"));
      };
    }
    reply.onSuccess(r -> ctx.response().putHeader("Content-Type", "application/json").end(io.vertx.core.json.Json.encode(r)))
      .onFailure(e -> {
        if (e instanceof DemoError d) error(ctx, d.status, d.getMessage());
        else error(ctx, 500, "demo backend failed");
      });
  }

  private Future<Object> getUserToken(String accessToken) {
    String id = accessToken == null ? null : accessTokenUser(accessToken);
    if (id == null || !users.containsKey(id)) return Future.failedFuture(new DemoError(401, "invalid accessToken"));
    JsonObject claims = users.get(id).copy().put("sub", id).put("typ", "userToken")
      .put("channels", new JsonArray().add("announcements"));
    return Future.succeededFuture(new JsonObject().put("userToken", sign(claims)));
  }

  private JsonArray contacts(String me) {
    JsonArray out = new JsonArray();
    users.values().stream().filter(u -> !u.getString("userId").equals(me)).forEach(out::add);
    return out;
  }

  private JsonArray threadsOf(String me) {
    JsonArray out = new JsonArray();
    threads.values().stream()
      .filter(t -> t.memberIds.contains(me))
      .sorted(Comparator.comparingLong((DemoThread t) -> t.lastMessageTime).reversed())
      .forEach(t -> out.add(thread(t)));
    return out;
  }

  private Future<Object> createThread(String me, JsonObject req) {
    Set<String> members = new LinkedHashSet<>();
    members.add(me);
    for (Object id : req.getJsonArray("memberIds")) {
      if (!users.containsKey(id)) return Future.failedFuture(new DemoError(400, "unknown user " + id));
      members.add((String) id);
    }
    DemoThread t = new DemoThread(UUID.randomUUID().toString(), List.copyOf(members), req.getValue("data"));
    threads.put(t.threadId, t);
    append(t, me, req.getJsonObject("message"));
    return Future.succeededFuture(threadAndMessages(t));
  }

  private Future<Object> getThread(String me, String threadId) {
    DemoThread t = threads.get(threadId);
    if (t == null) return Future.failedFuture(new DemoError(404, "no such thread"));
    if (!t.memberIds.contains(me)) return Future.failedFuture(new DemoError(403, "not a member"));
    return Future.succeededFuture(threadAndMessages(t));
  }

  private Future<Object> addMessage(String me, JsonObject req) {
    DemoThread t = threads.get(req.getString("threadId"));
    if (t == null) return Future.failedFuture(new DemoError(404, "no such thread"));
    if (!t.memberIds.contains(me)) return Future.failedFuture(new DemoError(403, "not a member"));
    JsonObject stored = append(t, me, req.getJsonObject("message"));
    return Future.succeededFuture(new JsonObject().put("thread", thread(t)).put("message", stored));
  }

  /**
   * Keeps the highest offset each member read. A thread this backend does not know is a 400, not
   * a 404: to ECB a 404 from markRead means the backend has no read receipts at all.
   */
  private Future<Object> markRead(String me, JsonObject req) {
    DemoThread t = threads.get(req.getString("threadId"));
    if (t == null) return Future.failedFuture(new DemoError(400, "no such thread"));
    if (!t.memberIds.contains(me)) return Future.failedFuture(new DemoError(403, "not a member"));
    if (!(req.getValue("readOffset") instanceof Number n)) return Future.failedFuture(new DemoError(400, "readOffset is required"));
    t.reads.merge(me, n.longValue(), Math::max);
    return Future.succeededFuture(new JsonObject());
  }

  private JsonObject append(DemoThread t, String from, JsonObject message) {
    long now = System.currentTimeMillis();
    JsonObject stored = new JsonObject()
      .put("messageId", UUID.randomUUID().toString())
      .put("fromUserId", from)
      .put("creationTime", now)
      .put("type", message.getString("type"))
      .put("data", message.getValue("data"));
    t.messages.add(stored);
    t.lastMessageTime = now;
    return stored;
  }

  private JsonObject threadAndMessages(DemoThread t) {
    // The last 50 messages are enough for the page; a real backend would page them.
    List<JsonObject> recent = t.messages.subList(Math.max(0, t.messages.size() - 50), t.messages.size());
    return new JsonObject().put("thread", thread(t)).put("messages", new JsonArray(new ArrayList<>(recent)));
  }

  /** A thread as ECB expects it, with a fresh threadToken naming its members. */
  private JsonObject thread(DemoThread t) {
    JsonArray members = new JsonArray();
    t.memberIds.forEach(id -> members.add(users.get(id)));
    String token = sign(new JsonObject().put("typ", "threadToken").put("threadId", t.threadId).put("memberIds", new JsonArray(t.memberIds)));
    return new JsonObject()
      .put("threadId", t.threadId)
      .put("threadToken", token)
      .put("members", members)
      .put("lastMessageTime", t.lastMessageTime)
      .put("data", t.data);
  }

  private String sign(JsonObject claims) {
    return signer.sign(claims, (int) TOKEN_SECONDS);
  }

  private static void error(RoutingContext ctx, int status, String message) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("error", new JsonObject().put("message", message)).encode());
  }

  private static final class DemoError extends RuntimeException {
    final int status;

    DemoError(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
