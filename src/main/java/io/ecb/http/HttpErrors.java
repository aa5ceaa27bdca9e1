package io.ecb.http;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Writes errors as {@code {"error": {code, message}}} with the code's status; never a stack trace. */
public final class HttpErrors {

  private static final Logger LOG = Logger.getLogger(HttpErrors.class.getName());

  private HttpErrors() {
  }

  public static void send(RoutingContext ctx, Throwable cause) {
    EcbException e = EcbException.of(cause);
    if (e != cause) LOG.log(Level.WARNING, "request failed: " + ctx.request().method() + " " + ctx.request().path(), cause);
    send(ctx, e);
  }

  public static void send(RoutingContext ctx, EcbException e) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response()
      .setStatusCode(e.code.status)
      .putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("error", e.toJson()).encode());
  }

  /** Router-level failures (no route, bad method, body too large, handler exceptions). */
  public static void routerFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof EcbException e) {
      send(ctx, e);
      return;
    }
    int status = ctx.statusCode();
    ErrorCode code = switch (status) {
      case 400 -> ErrorCode.BAD_REQUEST;
      case 401 -> ErrorCode.UNAUTHORIZED;
      case 403 -> ErrorCode.FORBIDDEN;
      case 404, 405 -> ErrorCode.NOT_FOUND;
      case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
      default -> ErrorCode.INTERNAL;
    };
    if (code == ErrorCode.INTERNAL && failure != null) LOG.log(Level.WARNING, "request failed: " + ctx.request().path(), failure);
    String message = switch (code) {
      case NOT_FOUND -> "no such resource: " + ctx.request().method() + " " + ctx.request().path();
      case PAYLOAD_TOO_LARGE -> "request body too large";
      case INTERNAL -> "internal error";
      default -> code.name().toLowerCase().replace('_', ' ');
    };
    send(ctx, new EcbException(code, message));
  }
}
