package io.ecb.push.n10n;

import io.ecb.error.EcbException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/** Answers of the n10n API: Voedger's API v2 error body {@code {"message": "...", "status": n}}. */
final class ApiErrors {

  private static final Logger LOG = Logger.getLogger(NotificationsSseProfile.class.getName());
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.~-]{1,100}");

  private ApiErrors() {
  }

  /** {@code <owner>/<app>} from the path; answers 400 and returns null when a part is not a plain name. */
  static String app(RoutingContext ctx) {
    String owner = ctx.pathParam("owner");
    String app = ctx.pathParam("app");
    if (owner == null || app == null || !NAME.matcher(owner).matches() || !NAME.matcher(app).matches()) {
      error(ctx, 400, "bad application name");
      return null;
    }
    return owner + "/" + app;
  }

  static void failure(RoutingContext ctx) {
    if (ctx.failure() instanceof EcbException e) {
      fail(ctx, e);
      return;
    }
    int status = ctx.statusCode();
    if (status == 413 || status == 400 || status == 404 || status == 405) {
      error(ctx, status, switch (status) {
        case 413 -> "request body too large";
        case 404 -> "no such resource";
        case 405 -> "method not allowed";
        default -> "bad request";
      });
      return;
    }
    if (ctx.failure() != null) LOG.log(Level.WARNING, "n10n request failed", ctx.failure());
    error(ctx, 500, "internal error");
  }

  static void fail(RoutingContext ctx, Throwable cause) {
    EcbException e = EcbException.of(cause);
    if (e != cause) LOG.log(Level.WARNING, "n10n request failed: " + ctx.request().path(), cause);
    error(ctx, e.code.status, e.getMessage());
  }

  static void error(RoutingContext ctx, int status, String message) {
    if (ctx.response().ended()) return;
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("message", message).put("status", status).encode());
  }
}
