package io.ecb.push;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.config.EcbConfig;
import io.ecb.http.ChatApi;
import io.ecb.http.HttpBodies;
import io.ecb.http.HttpErrors;
import io.ecb.module.Module;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;

/**
 * The native server API for backend services: {@code POST /api/v1/publish} and
 * {@code GET /api/v1/channels/{name}}, authenticated with an API key from {@code publishers}.
 */
public final class PushApi implements Module {

  private final PushService push;
  private final EcbConfig config;

  public PushApi(PushService push, EcbConfig config) {
    this.push = push;
    this.config = config;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/v1/publish").handler(BodyHandler.create(false).setBodyLimit(config.http.maxFrameBytes));
    router.post("/api/v1/publish").handler(this::publish);
    router.get("/api/v1/channels/:name").handler(this::channel);
  }

  /** True when the request carries one of the configured publisher API keys as its bearer token. */
  public static boolean isPublisher(RoutingContext ctx, EcbConfig config) {
    return isPublisherKey(ChatApi.bearer(ctx), config);
  }

  /** True when {@code key} is one of the configured publisher API keys (compared in constant time). */
  public static boolean isPublisherKey(Object key, EcbConfig config) {
    if (!(key instanceof String k)) return false;
    boolean ok = false;
    for (String p : config.publishers) {
      ok |= MessageDigest.isEqual(p.getBytes(StandardCharsets.UTF_8), k.getBytes(StandardCharsets.UTF_8));
    }
    return ok;
  }

  private void publish(RoutingContext ctx) {
    if (!isPublisher(ctx, config)) {
      HttpErrors.send(ctx, EcbException.unauthorized("a publisher API key is required"));
      return;
    }
    JsonObject body;
    try {
      body = HttpBodies.jsonObject(ctx);
    } catch (EcbException e) {
      HttpErrors.send(ctx, e);
      return;
    }
    String channel = body.getValue("channel") instanceof String s ? s : null;
    String userId = body.getValue("userId") instanceof String s ? s : null;
    String event = body.getValue("event") instanceof String s ? s : null;
    Object messageIdValue = body.getValue("messageId");
    try {
      if (body.getValue("channel") != null && channel == null || body.getValue("userId") != null && userId == null) {
        throw EcbException.badRequest("channel and userId must be strings");
      }
      if (channel == null && userId == null) throw EcbException.badRequest("channel, userId or both are required");
      if (event == null || event.isBlank()) throw EcbException.badRequest("event (string) is required");
      if (!body.containsKey("data")) throw EcbException.badRequest("data is required");
      if (messageIdValue != null && !(messageIdValue instanceof String m && !m.isBlank() && m.length() <= 200)) {
        throw EcbException.badRequest("messageId must be a non-empty string");
      }
      PushService.requireName("channel", channel);
      PushService.requireName("userId", userId);
    } catch (EcbException e) {
      HttpErrors.send(ctx, e);
      return;
    }
    String messageId = messageIdValue != null ? (String) messageIdValue : PushService.newMessageId();
    push.publish(channel, userId, PushService.notification(event, body.getValue("data"), messageId), messageIdValue != null)
      .onSuccess(v -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("messageId", messageId).encode()))
      .onFailure(e -> HttpErrors.send(ctx, e instanceof EcbException ? e : new EcbException(ErrorCode.UNAVAILABLE, "publish failed; retry with the same messageId")));
  }

  private void channel(RoutingContext ctx) {
    if (!isPublisher(ctx, config)) {
      HttpErrors.send(ctx, EcbException.unauthorized("a publisher API key is required"));
      return;
    }
    push.channelStats(ctx.pathParam("name"))
      .onSuccess(stats -> ctx.json(stats))
      .onFailure(e -> HttpErrors.send(ctx, e));
  }
}
