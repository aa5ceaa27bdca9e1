package io.ecb.bench;

import io.ecb.backend.TokenMinter;
import io.ecb.support.StubBackend.Reply;
import io.ecb.support.TestKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Recorder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The benchmark's customer backend: the tests' {@link io.ecb.support.StubBackend} (the same
 * signature and replay checks, the same server) with a fixed model answered from memory, its
 * call log off, and each answer timed. It signs userTokens / threadTokens with an RSA key pair it
 * generates.
 *
 * <p>On start it writes {@code private.pem} and {@code public.pem} into {@code --dir}; the runner
 * hands the public key to ECB ({@code ECB_AUTH_PUBLIC_KEY}) and the private key to the load
 * client, which signs its own userTokens with it (as a customer page would get them from its
 * backend). Its webhooks are at {@code /hooks/<operation>}. Users are {@code u<n>} (accessToken
 * {@code access-u<n>}), with channel {@code bench}; thread {@code t<k>} has members
 * {@code u<4k>..u<4k+3>}.
 *
 * <p>{@code GET /bench/stats} returns the handling time of the webhooks since the previous call
 * (p50/p99/p99.9 in microseconds: from the request body received to the reply handed to Vert.x), in
 * total and per operation under {@code ops} (S3 reads {@code ops.addThreadMessage}), and the count
 * of bad signatures.
 *
 * <p>Like a real backend that keeps its threads, it signs each thread's threadToken once and reuses
 * it (valid 6 h): an RS256 signature costs about a millisecond of CPU, and S3's 2,000 messages/s
 * would otherwise measure RSA signing on the load core rather than a fast backend.
 */
public final class StubBackend {

  private static final int TOKEN_SECONDS = 6 * 3600;

  private final io.ecb.support.StubBackend stub;
  private final Recorder latency = new Recorder(60_000_000L, 3);
  private final Map<String, Recorder> latencyByOp = new ConcurrentSkipListMap<>();
  private final Map<String, String> threadTokens = new ConcurrentHashMap<>();
  /** S3: from a message's intended send time (its {@code @@<nanoTime>@@} stamp) to its webhook here. */
  private final Recorder arrival = new Recorder(60_000_000L, 3);

  StubBackend(io.ecb.support.StubBackend stub) {
    this.stub = stub;
    stub.recordCalls(false).keepMessages(false).observe((op, nanos) -> {
      long micros = nanos / 1000;
      latency.recordValue(micros);
      latencyByOp.computeIfAbsent(op, k -> new Recorder(60_000_000L, 3)).recordValue(micros);
    });
    stub.router.get("/bench/stats").handler(ctx -> {
      JsonObject ops = new JsonObject();
      latencyByOp.forEach((op, r) -> ops.put(op, stats(r)));
      ctx.json(stats(latency).put("ops", ops).put("arrival", stats(arrival)).put("badSignatures", stub.badSignatures()));
    });
    stub.on("getUserToken", in -> {
      String access = in.getString("accessToken", "");
      if (!access.startsWith("access-")) return notFound();
      return ok(new JsonObject().put("userToken", stub.sign(userClaims(access.substring(7), "bench"), TOKEN_SECONDS)));
    });
    stub.on("getContacts", in -> ok(new JsonArray()));
    stub.on("getThreads", in -> ok(new JsonArray()));
    stub.on("getThread", in -> ok(new JsonObject().put("thread", thread(in.getString("threadId"))).put("messages", new JsonArray())));
    stub.on("addThreadMessage", in -> {
      arrived(in.getJsonObject("message"));
      JsonObject message = in.getJsonObject("message").copy()
        .put("messageId", UUID.randomUUID().toString())
        .put("fromUserId", in.getJsonObject("user", new JsonObject()).getString("userId"))
        .put("creationTime", System.currentTimeMillis());
      return ok(new JsonObject().put("thread", thread(in.getString("threadId"))).put("message", message));
    });
    stub.on("createThread", in -> Future.succeededFuture(new Reply(400, new JsonObject().put("error", new JsonObject()
      .put("code", "BAD_REQUEST").put("message", "the benchmark's threads are fixed: t<k> has members u<4k>..u<4k+3>")))));
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int port = args.getInt("port", 8091);
    Path dir = Path.of(args.get("dir", "target/bench"));
    String secret = args.get("secret", "bench-secret");
    Files.createDirectories(dir);
    TestKeys keys = TestKeys.generate("RS256");
    Files.writeString(dir.resolve("private.pem"), keys.privatePem);
    Files.writeString(dir.resolve("public.pem"), keys.publicPem);

    Vertx vertx = LoadClient.vertx(1);
    io.ecb.support.StubBackend stub = new io.ecb.support.StubBackend(vertx, keys, secret);
    new StubBackend(stub);
    stub.start(port).await();
    System.out.println("STUB READY port=" + port + " dir=" + dir);
  }

  static TokenMinter signer(Vertx vertx, String privatePem) {
    return new TokenMinter(vertx, "RS256", privatePem);
  }

  static JsonObject userClaims(String userId, String... channels) {
    return new JsonObject().put("userId", userId).put("displayName", "User " + userId)
      .put("channels", new JsonArray(java.util.List.of((Object[]) channels)));
  }

  static String userToken(TokenMinter signer, String userId, String... channels) {
    return signer.sign(userClaims(userId, channels), TOKEN_SECONDS);
  }

  static String threadToken(TokenMinter signer, String threadId, JsonArray memberIds) {
    return signer.sign(new JsonObject().put("threadId", threadId).put("memberIds", memberIds), TOKEN_SECONDS);
  }

  /** Members of thread {@code t<k>}: {@code u<4k>..u<4k+3>}. */
  static JsonArray members(String threadId) {
    int k = Integer.parseInt(threadId.substring(1));
    JsonArray ids = new JsonArray();
    for (int i = 0; i < 4; i++) ids.add("u" + (4 * k + i));
    return ids;
  }

  private static Future<Reply> ok(Object body) {
    return Future.succeededFuture(Reply.ok(body));
  }

  private static Future<Reply> notFound() {
    return Future.succeededFuture(new Reply(404, new JsonObject().put("error", new JsonObject().put("code", "NOT_FOUND").put("message", "unknown"))));
  }

  /**
   * Records how long after its intended send time an S3 message reached the backend: client,
   * bridge and token checks, without the way back. Both processes read the same monotonic clock
   * (System.nanoTime is CLOCK_MONOTONIC on Linux).
   */
  private void arrived(JsonObject message) {
    Object data = message == null ? null : message.getValue("data");
    String text = data instanceof JsonObject d ? d.getString("messageText", "") : "";
    long stamp = LoadClient.stamp(text);
    if (stamp > 0) arrival.recordValue(Math.max(1, (System.nanoTime() - stamp) / 1000));
  }

  /** count and p50/p99/p99.9/max in microseconds since the previous call (the recorder resets). */
  private static JsonObject stats(Recorder r) {
    var h = r.getIntervalHistogram();
    return new JsonObject().put("count", h.getTotalCount())
      .put("p50us", h.getValueAtPercentile(50)).put("p99us", h.getValueAtPercentile(99))
      .put("p999us", h.getValueAtPercentile(99.9)).put("maxus", h.getMaxValue());
  }

  private JsonObject thread(String threadId) {
    JsonArray ids = members(threadId);
    JsonArray users = new JsonArray();
    for (Object id : ids) users.add(new JsonObject().put("userId", id).put("displayName", "User " + id));
    String token = threadTokens.computeIfAbsent(threadId, id -> stub.sign(new JsonObject().put("threadId", id).put("memberIds", ids), TOKEN_SECONDS));
    return new JsonObject().put("threadId", threadId).put("threadToken", token)
      .put("members", users).put("lastMessageTime", System.currentTimeMillis());
  }
}
