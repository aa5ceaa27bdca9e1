package io.ecb.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.HdrHistogram.Recorder;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

/**
 * A fast stub customer backend for the benchmark: answers ECB's six webhooks from memory, checks
 * every ECB-Signature, and signs userTokens / threadTokens with an RSA key pair it generates.
 *
 * <p>On start it writes {@code private.pem} and {@code public.pem} into {@code --dir}; the runner
 * hands the public key to ECB ({@code ECB_AUTH_PUBLIC_KEY}) and the private key to the load
 * client, which signs its own userTokens with it (as a customer page would get them from its
 * backend). Users are {@code u<n>} (accessToken {@code access-u<n>}), with channel {@code bench};
 * thread {@code t<k>} has members {@code u<4k>..u<4k+3>}.
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

  private final JWTAuth signer;
  private final byte[] secret;
  private final Recorder latency = new Recorder(60_000_000L, 3);
  private final java.util.Map<String, Recorder> latencyByOp = new java.util.TreeMap<>();
  private final java.util.Map<String, String> threadTokens = new java.util.HashMap<>();
  private long badSignatures;

  StubBackend(JWTAuth signer, String secret) {
    this.signer = signer;
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int port = args.getInt("port", 8091);
    Path dir = Path.of(args.get("dir", "target/bench"));
    String secret = args.get("secret", "bench-secret");
    Files.createDirectories(dir);
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair pair = g.generateKeyPair();
    String privatePem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
    Files.writeString(dir.resolve("private.pem"), privatePem);
    Files.writeString(dir.resolve("public.pem"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    StubBackend stub = new StubBackend(signer(vertx, privatePem), secret);
    vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
      .requestHandler(stub::handle)
      .listen()
      .await();
    System.out.println("STUB READY port=" + port + " dir=" + dir);
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
      + "\n-----END " + type + "-----\n";
  }

  static JWTAuth signer(Vertx vertx, String privatePem) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(privatePem)));
  }

  static String userToken(JWTAuth signer, String userId, String... channels) {
    JsonObject claims = new JsonObject().put("userId", userId).put("displayName", "User " + userId)
      .put("channels", new JsonArray(java.util.List.of((Object[]) channels)));
    return signer.generateToken(claims, new JWTOptions().setAlgorithm("RS256").setExpiresInSeconds(6 * 3600));
  }

  static String threadToken(JWTAuth signer, String threadId, JsonArray memberIds) {
    JsonObject claims = new JsonObject().put("threadId", threadId).put("memberIds", memberIds);
    return signer.generateToken(claims, new JWTOptions().setAlgorithm("RS256").setExpiresInSeconds(6 * 3600));
  }

  /** Members of thread {@code t<k>}: {@code u<4k>..u<4k+3>}. */
  static JsonArray members(String threadId) {
    int k = Integer.parseInt(threadId.substring(1));
    JsonArray ids = new JsonArray();
    for (int i = 0; i < 4; i++) ids.add("u" + (4 * k + i));
    return ids;
  }

  private void handle(HttpServerRequest req) {
    if (req.path().equals("/bench/stats")) {
      JsonObject ops = new JsonObject();
      latencyByOp.forEach((op, r) -> ops.put(op, stats(r)));
      req.response().putHeader("Content-Type", "application/json").end(stats(latency)
        .put("ops", ops).put("badSignatures", badSignatures).encode());
      return;
    }
    req.body().onSuccess(body -> {
      long start = System.nanoTime();
      if (!signatureValid(req, body)) {
        badSignatures++;
        req.response().setStatusCode(401).end("{\"error\":{\"code\":\"UNAUTHORIZED\",\"message\":\"bad signature\"}}");
        return;
      }
      String op = req.path().substring(req.path().lastIndexOf('/') + 1);
      JsonObject in = body.toJsonObject();
      Object out;
      try {
        out = answer(op, in);
      } catch (RuntimeException e) {
        req.response().setStatusCode(400).end(new JsonObject().put("error",
          new JsonObject().put("code", "BAD_REQUEST").put("message", String.valueOf(e.getMessage()))).encode());
        return;
      }
      if (out == null) {
        req.response().setStatusCode(404).end("{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"unknown\"}}");
        return;
      }
      Buffer reply = out instanceof JsonObject o ? o.toBuffer() : ((JsonArray) out).toBuffer();
      long micros = (System.nanoTime() - start) / 1000;
      latency.recordValue(micros);
      latencyByOp.computeIfAbsent(op, k -> new Recorder(60_000_000L, 3)).recordValue(micros);
      req.response().putHeader("Content-Type", "application/json").end(reply);
    });
  }

  /** count and p50/p99/p99.9/max in microseconds since the previous call (the recorder resets). */
  private static JsonObject stats(Recorder r) {
    var h = r.getIntervalHistogram();
    return new JsonObject().put("count", h.getTotalCount())
      .put("p50us", h.getValueAtPercentile(50)).put("p99us", h.getValueAtPercentile(99))
      .put("p999us", h.getValueAtPercentile(99.9)).put("maxus", h.getMaxValue());
  }

  private Object answer(String op, JsonObject in) {
    String userId = in.getJsonObject("user", new JsonObject()).getString("userId");
    switch (op) {
      case "getUserToken": {
        String access = in.getString("accessToken", "");
        if (!access.startsWith("access-")) return null;
        return new JsonObject().put("userToken", userToken(signer, access.substring(7), "bench"));
      }
      case "getContacts":
        return new JsonArray();
      case "getThreads":
        return new JsonArray();
      case "getThread":
        return new JsonObject().put("thread", thread(in.getString("threadId"))).put("messages", new JsonArray());
      case "addThreadMessage": {
        JsonObject message = in.getJsonObject("message").copy()
          .put("messageId", UUID.randomUUID().toString())
          .put("fromUserId", userId)
          .put("creationTime", System.currentTimeMillis());
        return new JsonObject().put("thread", thread(in.getString("threadId"))).put("message", message);
      }
      case "createThread":
        throw new IllegalArgumentException("the benchmark's threads are fixed: t<k> has members u<4k>..u<4k+3>");
      default:
        return null;
    }
  }

  private JsonObject thread(String threadId) {
    JsonArray ids = members(threadId);
    JsonArray users = new JsonArray();
    for (Object id : ids) users.add(new JsonObject().put("userId", id).put("displayName", "User " + id));
    String token = threadTokens.computeIfAbsent(threadId, id -> threadToken(signer, id, ids));
    return new JsonObject().put("threadId", threadId).put("threadToken", token)
      .put("members", users).put("lastMessageTime", System.currentTimeMillis());
  }

  private boolean signatureValid(HttpServerRequest req, Buffer body) {
    String ts = req.getHeader("ECB-Timestamp");
    String sig = req.getHeader("ECB-Signature");
    if (ts == null || sig == null) return false;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update((ts + ".").getBytes(StandardCharsets.UTF_8));
      byte[] expected = ("v1=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes()))).getBytes(StandardCharsets.UTF_8);
      for (String part : sig.split(",")) {
        if (MessageDigest.isEqual(expected, part.trim().getBytes(StandardCharsets.UTF_8))) return true;
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }
}
