package io.ecb.push.notify;

import io.ecb.auth.Caller;
import io.ecb.auth.HmacSha256;
import io.ecb.bridge.BridgeServer;
import io.ecb.chat.ChatService;
import io.ecb.config.EcbConfig;
import io.ecb.delivery.Fanout;
import io.ecb.module.Module;
import io.ecb.error.EcbException;
import io.ecb.cluster.ClusterSecrets;
import io.ecb.delivery.StreamGrant;
import io.ecb.http.ChatApi;
import io.ecb.http.HttpBodies;
import io.ecb.push.PushApi;
import io.ecb.http.HttpErrors;
import io.ecb.transport.Origins;
import io.ecb.engine.Engine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The Channel notify profile (a Socket.IO-style notification service, SPEC section 6).
 *
 * <ul>
 *   <li>{@code GET /authorize} with {@code Authorization: Bearer <userToken>} → {@code {token}}: a
 *   short-lived socket token (HS256 JWT, claims {@code sub}, {@code aud: "ecb.notify"},
 *   {@code exp}) signed with {@code push.notify.secret}, which every node shares, so any node
 *   verifies it.</li>
 *   <li>A bridge client registers {@code ecb.notify.<channel>} with headers {@code token} and
 *   {@code keycloakID} (the token's user) and receives
 *   {@code {kind: "notification", event: "notification", data: msg}} on that address.</li>
 *   <li>{@code POST /notify {API_KEY, msg, keycloak?, channel?}} → {@code {delivered: n}}: the
 *   request is scattered to every node of the cluster (one event-bus address per node); each node
 *   delivers to its own matching connections, each at most once, and answers how many it reached,
 *   so {@code n} is exact.</li>
 * </ul>
 *
 * <p>Connections follow streams named {@code notify:<channel>} (event-bus address
 * {@code ecb.notify.<channel>}), as the user the token proved; nothing of them is stored in the
 * cluster, notifies are not numbered and not kept in history (at most once, as in Socket.IO).
 */
public final class ChannelNotifyProfile implements Module {

  /** Bridge addresses clients register: {@code ecb.notify.<channel>}. */
  public static final String ADDRESS_PREFIX = "ecb.notify.";
  /** Stream kind; {@code notify:<channel>} has the address {@code ecb.notify.<channel>}. */
  public static final String STREAM_PREFIX = "notify:";
  private static final String AUDIENCE = "ecb.notify";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final String JWT_HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

  private final Vertx vertx;
  private final Engine cluster;
  private final ChatService chat;
  private final Fanout fanout;
  private final BridgeServer bridge;
  private final EcbConfig config;
  private final long tokenSeconds;
  private final Future<byte[]> secret;
  private MessageConsumer<JsonObject> deliverConsumer;

  public ChannelNotifyProfile(Vertx vertx, Engine engine, ChatService chat, Fanout fanout, BridgeServer bridge, EcbConfig config) {
    this.vertx = vertx;
    this.cluster = engine;
    this.chat = chat;
    this.fanout = fanout;
    this.bridge = bridge;
    this.config = config;
    this.tokenSeconds = config.push.notify.tokenSeconds;
    // From config (or derived from it), never from a cluster map: see ClusterSecrets.
    this.secret = Future.succeededFuture(ClusterSecrets.of(config).notifyKey());
  }

  /** Completes once this node answers notify scatters, knows the signing secret and takes bridge registrations. */
  @Override
  public Future<Void> start() {
    deliverConsumer = vertx.eventBus().<JsonObject>consumer(deliverAddress(cluster.nodeId()))
      .handler(m -> m.reply(deliverHere(m.body())));
    bridge.addStreamAddresses(ADDRESS_PREFIX, this::authorizeRegistration);
    return Future.all(deliverConsumer.completion(), secret).mapEmpty();
  }

  private static String deliverAddress(String nodeId) {
    return "ecb.node." + nodeId + ".notify";
  }

  @Override
  public void mount(Router router) {
    Origins.guard(router, "/authorize", config.http.allowedOrigins, Set.of(HttpMethod.GET, HttpMethod.OPTIONS), Set.of("Authorization"),
      ctx -> HttpErrors.send(ctx, EcbException.forbidden("origin not allowed")));
    router.get("/authorize").handler(this::authorize);
    router.post("/notify").handler(BodyHandler.create(false).setBodyLimit(config.http.maxFrameBytes));
    router.post("/notify").handler(this::notify);
  }

  @Override
  public Future<Void> stop() {
    return deliverConsumer == null ? Future.succeededFuture() : deliverConsumer.unregister();
  }

  // ---- socket tokens

  private void authorize(RoutingContext ctx) {
    String userToken = ChatApi.bearer(ctx);
    if (userToken == null) {
      HttpErrors.send(ctx, EcbException.unauthorized("Authorization: Bearer <userToken> is required"));
      return;
    }
    chat.caller(ChatApi.caller(ctx), userToken)
      .compose(user -> issue(user.userId(), user.channels()))
      .onSuccess(token -> ctx.json(new JsonObject().put("token", token)))
      .onFailure(e -> HttpErrors.send(ctx, e));
  }

  /** A socket token for {@code userId} that joins public channels only. */
  public Future<String> issue(String userId) {
    return issue(userId, List.of());
  }

  /**
   * A socket token for {@code userId}, valid for {@code push.notify.tokenSeconds}; it carries the
   * userToken's {@code channels} claim, since the channel a socket joins is only known later.
   */
  public Future<String> issue(String userId, List<String> channels) {
    return secret.map(key -> {
      JsonObject claims = new JsonObject()
        .put("sub", userId)
        .put("channels", new JsonArray(List.copyOf(channels)))
        .put("aud", AUDIENCE)
        .put("exp", System.currentTimeMillis() / 1000 + tokenSeconds);
      String signed = JWT_HEADER + "." + B64.encodeToString(claims.toBuffer().getBytes());
      return signed + "." + B64.encodeToString(HmacSha256.sign(key, signed));
    });
  }

  /**
   * The userId a socket token was issued to; fails UNAUTHORIZED when it is bad or expired, and
   * RATE_LIMITED, unchecked, when {@code caller} is past its budget of failed token checks.
   */
  public Future<String> verify(Caller caller, String token) {
    if (token == null || token.isEmpty()) return Future.failedFuture(EcbException.unauthorized("token is required"));
    return chat.tokens().failedChecks().check(caller, () -> secret.compose(key -> {
      int dot = token.lastIndexOf('.');
      int first = token.indexOf('.');
      if (first <= 0 || dot <= first || !token.substring(0, first).equals(JWT_HEADER)) {
        return Future.failedFuture(EcbException.unauthorized("invalid token"));
      }
      byte[] given;
      JsonObject claims;
      try {
        given = B64D.decode(token.substring(dot + 1));
        claims = new JsonObject(Buffer.buffer(B64D.decode(token.substring(first + 1, dot))));
      } catch (RuntimeException e) {
        return Future.failedFuture(EcbException.unauthorized("invalid token"));
      }
      if (!MessageDigest.isEqual(given, HmacSha256.sign(key, token.substring(0, dot)))) {
        return Future.failedFuture(EcbException.unauthorized("invalid token signature"));
      }
      Object sub = claims.getValue("sub");
      Object exp = claims.getValue("exp");
      if (!(sub instanceof String s) || !AUDIENCE.equals(claims.getValue("aud")) || !(exp instanceof Number n)) {
        return Future.failedFuture(EcbException.unauthorized("invalid token"));
      }
      if (n.longValue() <= System.currentTimeMillis() / 1000) {
        return Future.failedFuture(EcbException.unauthorized("token expired"));
      }
      return Future.succeededFuture(s);
    }));
  }

  // ---- connections

  /**
   * A registration of {@code ecb.notify.<channel>} with headers {@code token} and
   * {@code keycloakID}: 401 for a bad or expired token, 403 when keycloakID is not its user or
   * the channel is neither in the token's channels nor in {@code channels.public}.
   */
  private Future<StreamGrant> authorizeRegistration(Caller caller, String address, JsonObject headers) {
    String channel = address.substring(ADDRESS_PREFIX.length());
    if (channel.isEmpty() || channel.length() > 255) {
      return Future.failedFuture(EcbException.badRequest("channel must be 1 to 255 characters"));
    }
    Object keycloakID = headers.getValue("keycloakID");
    Object token = headers.getValue("token");
    return verify(caller, token instanceof String t ? t : null).compose(userId -> {
      if (!userId.equals(keycloakID)) return Future.failedFuture(EcbException.forbidden("keycloakID does not match the token"));
      if (!mayJoin((String) token, channel)) {
        return Future.failedFuture(EcbException.forbidden("channel " + channel + " is not in the userToken's channels"));
      }
      return Future.succeededFuture(new StreamGrant(STREAM_PREFIX + channel, userId));
    });
  }

  /**
   * The {@code ecb.channel.*} rule for a socket token that {@link #verify} accepted: the channel
   * is in the token's {@code channels} claim (copied from the userToken) or in
   * {@code channels.public}.
   */
  public boolean mayJoin(String verifiedToken, String channel) {
    if (config.channels.publicNames.contains(channel)) return true;
    int first = verifiedToken.indexOf('.');
    int last = verifiedToken.lastIndexOf('.');
    JsonObject claims = new JsonObject(Buffer.buffer(B64D.decode(verifiedToken.substring(first + 1, last))));
    return claims.getValue("channels") instanceof JsonArray allowed && allowed.contains(channel);
  }

  // ---- publishing

  private void notify(RoutingContext ctx) {
    JsonObject body;
    try {
      body = HttpBodies.jsonObject(ctx);
    } catch (EcbException e) {
      HttpErrors.send(ctx, e);
      return;
    }
    if (!PushApi.isPublisherKey(body.getValue("API_KEY"), config)) {
      HttpErrors.send(ctx, EcbException.unauthorized("API_KEY is missing or unknown"));
      return;
    }
    Object channel = body.getValue("channel");
    Object keycloak = body.getValue("keycloak");
    try {
      if (channel != null && !(channel instanceof String) || keycloak != null && !(keycloak instanceof String)) {
        throw EcbException.badRequest("channel and keycloak must be strings");
      }
      if (channel == null && keycloak == null) throw EcbException.badRequest("channel, keycloak or both are required");
      if (body.getValue("msg") == null) throw EcbException.badRequest("msg is required");
      if (channel != null && (((String) channel).isEmpty() || ((String) channel).length() > 255)) {
        throw EcbException.badRequest("channel must be 1 to 255 characters");
      }
      if (keycloak != null && ((String) keycloak).isEmpty()) throw EcbException.badRequest("keycloak must not be empty");
    } catch (EcbException e) {
      HttpErrors.send(ctx, e);
      return;
    }
    JsonObject target = new JsonObject().put("channel", channel).put("keycloak", keycloak).put("msg", body.getValue("msg"));
    deliver(target).onSuccess(n -> ctx.json(new JsonObject().put("delivered", n)))
      .onFailure(e -> HttpErrors.send(ctx, e));
  }

  /**
   * Asks every node of the cluster to deliver {@code {channel?, keycloak?, msg}} to its own
   * matching connections and sums what they reached. A node that does not answer within 5 s
   * counts as 0.
   */
  public Future<Integer> deliver(JsonObject target) {
    List<Future<Integer>> counts = new ArrayList<>();
    for (String id : cluster.nodes()) {
      counts.add(vertx.eventBus().<Integer>request(deliverAddress(id), target, new DeliveryOptions().setSendTimeout(5000))
        .map(m -> m.body()).otherwise(0));
    }
    return Future.all(counts).map(all -> {
      int n = 0;
      for (int i = 0; i < all.size(); i++) n += all.<Integer>resultAt(i);
      return n;
    });
  }

  /** The payload every transport delivers for a notify. */
  public static JsonObject payload(Object msg) {
    return new JsonObject().put("kind", "notification").put("event", "notification").put("data", msg);
  }

  private int deliverHere(JsonObject target) {
    String channel = target.getString("channel");
    String keycloak = target.getString("keycloak");
    Predicate<String> streams = channel != null
      ? (STREAM_PREFIX + channel)::equals
      : s -> s.startsWith(STREAM_PREFIX);
    return fanout.deliverLocal(streams, keycloak, payload(target.getValue("msg")).toBuffer());
  }
}
