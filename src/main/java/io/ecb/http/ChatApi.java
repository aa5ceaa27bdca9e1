package io.ecb.http;

import io.ecb.transport.Origins;
import io.ecb.auth.Caller;
import io.ecb.chat.ChatService;
import io.ecb.error.EcbException;
import io.ecb.chat.Paging;
import io.ecb.config.EcbConfig;
import io.ecb.module.Module;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Set;
import java.util.function.Function;

/**
 * The chat operations over plain HTTP at {@code /api/v1}: {@code Authorization: Bearer <userToken>},
 * {@code X-Thread-Token: <threadToken>}, JSON in and out, errors as {@code {"error": {code, message}}}.
 */
public final class ChatApi implements Module {

  private final ChatService chat;
  private final EcbConfig config;

  public ChatApi(ChatService chat, EcbConfig config) {
    this.chat = chat;
    this.config = config;
  }

  @Override
  public void mount(Router router) {
    Origins.guard(router, "/api/v1/*", config.http.allowedOrigins,
      Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.OPTIONS),
      Set.of("Authorization", "Content-Type", "X-Thread-Token", "Last-Event-ID"),
      ctx -> HttpErrors.send(ctx, EcbException.forbidden("origin not allowed")));
    router.route("/api/v1/*").handler(BodyHandler.create(false).setBodyLimit(config.http.maxFrameBytes));

    router.post("/api/v1/user-token").handler(ctx -> reply(ctx, c -> chat.getUserToken(caller(c), HttpBodies.jsonObject(c))));
    router.get("/api/v1/contacts").handler(ctx -> reply(ctx, c -> chat.getContacts(caller(c), bearer(c), paging(c))));
    router.get("/api/v1/threads").handler(ctx -> reply(ctx, c -> chat.getThreads(caller(c), bearer(c), paging(c))));
    router.post("/api/v1/threads").handler(ctx -> reply(ctx, c -> chat.createThread(caller(c), bearer(c), HttpBodies.jsonObject(c))));
    router.get("/api/v1/threads/:threadId").handler(ctx -> reply(ctx, c -> chat.getThread(caller(c), bearer(c),
      c.request().getHeader("X-Thread-Token"), c.pathParam("threadId"), new JsonObject()
        .put("sinceOffset", c.queryParams().get("sinceOffset"))
        .put("epoch", c.queryParams().get("epoch")))));
    router.post("/api/v1/threads/:threadId/messages").handler(ctx -> reply(ctx, c -> chat.sendMessage(caller(c), bearer(c),
      c.request().getHeader("X-Thread-Token"), c.pathParam("threadId"), HttpBodies.jsonObject(c))));
    router.get("/api/v1/threads/:threadId/presence").handler(ctx -> reply(ctx, c -> chat.live.getPresence(caller(c), bearer(c),
      c.request().getHeader("X-Thread-Token"), c.pathParam("threadId"))));
    router.post("/api/v1/threads/:threadId/read").handler(ctx -> reply(ctx, c -> chat.live.markRead(caller(c), bearer(c),
      c.request().getHeader("X-Thread-Token"), c.pathParam("threadId"), HttpBodies.jsonObject(c))));
    router.get("/api/v1/recover").handler(ctx -> reply(ctx, c -> chat.live.recover(caller(c), bearer(c),
      c.request().getHeader("X-Thread-Token"), new JsonObject().put("address", c.queryParams().get("address"))
        .put("sinceOffset", c.queryParams().get("sinceOffset")).put("epoch", c.queryParams().get("epoch")))));
  }

  private static void reply(RoutingContext ctx, Function<RoutingContext, Future<JsonObject>> op) {
    Future<JsonObject> result;
    try {
      result = op.apply(ctx);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      if (ar.failed()) {
        HttpErrors.send(ctx, ar.cause());
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(ar.result().encode());
      }
    });
  }

  /** The bearer token of {@code Authorization}; null when absent (the operation then answers 401). */
  public static String bearer(RoutingContext ctx) {
    String h = ctx.request().getHeader("Authorization");
    if (h == null) return null;
    return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
  }

  /** Who sends this request, for the limit on failed token checks (per client address). */
  public static Caller caller(RoutingContext ctx) {
    return Caller.request(ClientAddress.of(ctx));
  }

  private static Paging paging(RoutingContext ctx) {
    return Paging.of(ctx.queryParams().get("pageStartIndex"), ctx.queryParams().get("pageSize"));
  }


}
