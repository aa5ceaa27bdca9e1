package io.ecb.push.webpush;

import io.ecb.auth.ChatUser;
import io.ecb.chat.ChatService;
import io.ecb.config.EcbConfig;
import io.ecb.delivery.Publisher;
import io.ecb.engine.Engine;
import io.ecb.module.Module;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.delivery.Streams;
import io.ecb.engine.KeyedState;
import io.ecb.http.ChatApi;
import io.ecb.http.HttpBodies;
import io.ecb.push.PushApi;
import io.ecb.push.PushService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The WebPush Channels profile (a Kinto-style service at {@code /v0}): users register to channels
 * with their userToken (only to channels its {@code channels} claim or {@code channels.public}
 * names, as for {@code ecb.channel.*}), and a publisher (an API key from {@code publishers}, or a user named in
 * {@code channels.publisherUserIds}) pushes {@code {"data": ...}} to a channel; every registered
 * user gets {@code {kind: "notification", channel, data, messageId}} on its {@code user:<id>}
 * stream (bridge {@code ecb.user.<id>} and SSE {@code user=true}), on every node.
 *
 * <p>Registrations and push counts live in the engine's keyed state {@code ecb.push.webpush.*} (in
 * Hazelcast, one backup copy), so they are cluster-wide and survive the loss of a node. Errors use Kinto's shape
 * {@code {"code", "errno", "error", "message"}}.
 */
public final class WebPushChannelsProfile implements Module {

  private static final Logger LOG = Logger.getLogger(WebPushChannelsProfile.class.getName());

  public static final String REGISTRATIONS = "ecb.push.webpush.registrations";
  public static final String PUSHES = "ecb.push.webpush.pushes";
  /** Channel ids are free strings in the original; ECB accepts these characters, 1 to 255 of them. */
  private static final Pattern CHANNEL_ID = Pattern.compile("[A-Za-z0-9_.:@~+-]{1,255}");
  private static final JsonObject ACCEPTED = new JsonObject().put("code", 202).put("message", "Accepted");

  private final Vertx vertx;
  private final ChatService chat;
  private final Publisher publisher;
  private final EcbConfig config;
  private final boolean enabled;
  private final KeyedState<HashSet<String>> registrations;
  private final KeyedState<Long> pushes;

  public WebPushChannelsProfile(Vertx vertx, Engine engine, ChatService chat, Publisher publisher, EcbConfig config) {
    this.vertx = vertx;
    this.chat = chat;
    this.publisher = publisher;
    this.config = config;
    this.enabled = config.push.webpush.enabled;
    this.registrations = engine.state(REGISTRATIONS);
    this.pushes = engine.state(PUSHES);
  }

  @Override
  public void mount(Router router) {
    if (!enabled) return;
    router.post("/v0/channels/:id").handler(BodyHandler.create(false).setBodyLimit(config.http.maxFrameBytes));
    router.put("/v0/channels/:id/registration").handler(ctx -> register(ctx, true));
    router.delete("/v0/channels/:id/registration").handler(ctx -> register(ctx, false));
    router.get("/v0/channels/:id").handler(this::info);
    router.post("/v0/channels/:id").handler(this::publish);
    router.route("/v0/channels/:id/registration").handler(ctx -> methodNotAllowed(ctx));
    router.route("/v0/channels/:id").handler(ctx -> methodNotAllowed(ctx));
    router.route("/v0/*").handler(ctx -> error(ctx, 404, 111, "Not Found", "The resource you are looking for could not be found."));
    router.route("/v0/*").failureHandler(this::failure);
  }

  // ---- handlers

  private void register(RoutingContext ctx, boolean add) {
    String id = channelId(ctx);
    if (id == null) return;
    // Joining follows the ecb.channel.* rule; leaving is always allowed.
    user(ctx).compose(user -> !add || chat.mayFollowChannel(user, id) ? Future.succeededFuture(user)
        : Future.<ChatUser>failedFuture(EcbException.forbidden("channel " + id + " is not in the userToken's channels")))
      .compose(user -> registrations.update(id, new Registration(user.userId(), add)))
      .onSuccess(n -> json(ctx, 202, ACCEPTED))
      .onFailure(e -> fail(ctx, e));
  }

  private void info(RoutingContext ctx) {
    String id = channelId(ctx);
    if (id == null) return;
    Future<Void> allowed;
    if (PushApi.isPublisher(ctx, config)) {
      allowed = Future.succeededFuture();
    } else {
      // As in the original, a user sees a channel's counts once registered to it; publishers always.
      allowed = user(ctx).compose(user -> config.channels.publisherUserIds.contains(user.userId())
        ? Future.succeededFuture()
        : members(id).compose(users -> users.contains(user.userId()) ? Future.<Void>succeededFuture()
          : Future.failedFuture(EcbException.forbidden("register to this channel first"))));
    }
    allowed.compose(v -> members(id)).compose(users -> pushes.get(id)
        .map(n -> new JsonObject().put("data", new JsonObject().put("id", id).put("registrations", users.size())
          .put("push", n == null ? 0L : n))))
      .onSuccess(body -> json(ctx, 200, body))
      .onFailure(e -> fail(ctx, e));
  }

  private void publish(RoutingContext ctx) {
    String id = channelId(ctx);
    if (id == null) return;
    Object data;
    try {
      data = data(ctx);
    } catch (EcbException e) {
      fail(ctx, e);
      return;
    }
    Future<Void> allowed = PushApi.isPublisher(ctx, config) ? Future.succeededFuture()
      : user(ctx).compose(user -> config.channels.publisherUserIds.contains(user.userId())
        ? Future.<Void>succeededFuture()
        : Future.failedFuture(EcbException.forbidden("only publishers may push to a channel")));
    String messageId = PushService.newMessageId();
    JsonObject payload = new JsonObject().put("kind", "notification").put("channel", id).put("data", data).put("messageId", messageId);
    allowed.compose(v -> members(id)).compose(users -> {
      List<Future<?>> sent = new ArrayList<>();
      for (String userId : users) sent.add(publisher.publish(Streams.user(userId), payload));
      return Future.join(sent).transform(ar -> {
        int ok = 0;
        for (Future<?> f : sent) if (f.succeeded()) ok++;
        Future<Long> counted = ok == 0 ? Future.succeededFuture(0L)
          : pushes.update(id, new Increment(ok));
        if (ok < sent.size()) {
          return counted.transform(x -> Future.failedFuture(new EcbException(ErrorCode.UNAVAILABLE, "push failed for some registrations")));
        }
        return counted.mapEmpty();
      });
    }).onSuccess(v -> json(ctx, 202, ACCEPTED)).onFailure(e -> fail(ctx, e));
  }

  // ---- helpers

  private Future<Set<String>> members(String id) {
    return registrations.get(id)
      .map(set -> set == null ? Set.<String>of() : set);
  }

  /** The verified (and rate-limited) caller of {@code Authorization: Bearer <userToken>}. */
  private Future<ChatUser> user(RoutingContext ctx) {
    String token = ChatApi.bearer(ctx);
    if (token == null) return Future.failedFuture(EcbException.unauthorized("Please authenticate yourself to use this endpoint."));
    return chat.caller(ChatApi.caller(ctx), token);
  }

  private static Object data(RoutingContext ctx) {
    // The body is optional here; when present it may hold only data.
    if (ctx.body() == null || ctx.body().length() <= 0 || ctx.body().asString().isBlank()) return null;
    JsonObject o = HttpBodies.jsonObject(ctx);
    for (String k : o.fieldNames()) {
      if (!k.equals("data")) throw EcbException.badRequest(k + " is not allowed; only data");
    }
    return o.getValue("data");
  }

  private String channelId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (id == null || !CHANNEL_ID.matcher(id).matches()) {
      JsonObject e = kinto(400, 107, "Invalid parameters", "id in path: channel id must be 1 to 255 of A-Z a-z 0-9 _ . : @ ~ + -");
      e.put("details", new JsonArray().add(new JsonObject().put("location", "path").put("name", "id")
        .put("description", "invalid channel id")));
      json(ctx, 400, e);
      return null;
    }
    return id;
  }

  private static void methodNotAllowed(RoutingContext ctx) {
    error(ctx, 405, 115, "Method Not Allowed", "Method not allowed on this endpoint.");
  }

  private void failure(RoutingContext ctx) {
    if (ctx.failure() instanceof EcbException e) {
      fail(ctx, e);
      return;
    }
    switch (ctx.statusCode()) {
      case 413 -> error(ctx, 413, 113, "Request Entity Too Large", "Request body too large.");
      case 400 -> error(ctx, 400, 107, "Invalid parameters", "Invalid request.");
      case 404 -> error(ctx, 404, 111, "Not Found", "The resource you are looking for could not be found.");
      case 405 -> methodNotAllowed(ctx);
      default -> {
        if (ctx.failure() != null) LOG.log(Level.WARNING, "webpush request failed", ctx.failure());
        error(ctx, 500, 999, "Internal Server Error", "A programmatic error occured, developers have been informed.");
      }
    }
  }

  private void fail(RoutingContext ctx, Throwable cause) {
    if (!(cause instanceof EcbException e)) {
      LOG.log(Level.WARNING, "webpush request failed: " + ctx.request().path(), cause);
      error(ctx, 503, 201, "Service Unavailable", "Service temporary unavailable due to overloading or maintenance, please retry later.");
      return;
    }
    switch (e.code) {
      case BAD_REQUEST -> {
        JsonObject body = kinto(400, 107, "Invalid parameters", e.getMessage());
        body.put("details", new JsonArray().add(new JsonObject().put("location", "body").put("name", "data").put("description", e.getMessage())));
        json(ctx, 400, body);
      }
      case UNAUTHORIZED -> {
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"ecb\"");
        error(ctx, 401, 104, "Unauthorized", "Please authenticate yourself to use this endpoint.");
      }
      case FORBIDDEN -> error(ctx, 403, 121, "Forbidden", "This user cannot access this resource.");
      case NOT_FOUND -> error(ctx, 404, 111, "Not Found", e.getMessage());
      case RATE_LIMITED -> {
        ctx.response().putHeader("Retry-After", "1");
        error(ctx, 429, 117, "Too Many Requests", e.getMessage());
      }
      default -> {
        ctx.response().putHeader("Retry-After", "3");
        error(ctx, 503, 201, "Service Unavailable", e.getMessage());
      }
    }
  }

  private static JsonObject kinto(int code, int errno, String error, String message) {
    return new JsonObject().put("code", code).put("errno", errno).put("error", error).put("message", message);
  }

  private static void error(RoutingContext ctx, int code, int errno, String error, String message) {
    json(ctx, code, kinto(code, errno, error, message));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) return;
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  // ---- updates (run atomically where the key lives, applied to its backup)

  /** Adds or removes one user in a channel's registrations; returns the number registered. */
  static final class Registration implements KeyedState.Update<HashSet<String>, Integer> {
    private static final long serialVersionUID = 1L;
    private final String userId;
    private final boolean add;

    Registration(String userId, boolean add) {
      this.userId = userId;
      this.add = add;
    }

    @Override
    public Integer apply(KeyedState.Entry<HashSet<String>> entry) {
      HashSet<String> users = entry.getValue() == null ? new HashSet<>() : new HashSet<>(entry.getValue());
      boolean changed = add ? users.add(userId) : users.remove(userId);
      if (changed) entry.setValue(users.isEmpty() ? null : users);
      return users.size();
    }
  }

  /** Adds to a channel's count of pushes sent; returns the new count. */
  static final class Increment implements KeyedState.Update<Long, Long> {
    private static final long serialVersionUID = 1L;
    private final long by;

    Increment(long by) {
      this.by = by;
    }

    @Override
    public Long apply(KeyedState.Entry<Long> entry) {
      long n = (entry.getValue() == null ? 0L : entry.getValue()) + by;
      entry.setValue(n);
      return n;
    }
  }
}
