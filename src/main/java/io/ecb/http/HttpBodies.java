package io.ecb.http;

import io.ecb.error.EcbException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Request bodies of the HTTP APIs. */
public final class HttpBodies {

  private HttpBodies() {
  }

  /** The body as a JSON object; BAD_REQUEST when it is missing, not JSON, or not an object. */
  public static JsonObject jsonObject(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().length() <= 0) throw EcbException.badRequest("a JSON object body is required");
    Object body;
    try {
      body = ctx.body().buffer().toJsonValue();
    } catch (DecodeException e) {
      throw EcbException.badRequest("body is not valid JSON");
    }
    if (!(body instanceof JsonObject o)) throw EcbException.badRequest("body must be a JSON object");
    return o;
  }
}
