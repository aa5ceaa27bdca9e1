package io.ecb.error;

import io.vertx.core.json.JsonObject;

/**
 * A failure the client is meant to see: a code from {@link ErrorCode} and a message safe to show.
 * Anything else that fails is reported as INTERNAL without its details.
 */
public final class EcbException extends RuntimeException {

  public final ErrorCode code;

  public EcbException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public static EcbException badRequest(String message) {
    return new EcbException(ErrorCode.BAD_REQUEST, message);
  }

  public static EcbException unauthorized(String message) {
    return new EcbException(ErrorCode.UNAUTHORIZED, message);
  }

  public static EcbException forbidden(String message) {
    return new EcbException(ErrorCode.FORBIDDEN, message);
  }

  /** Maps any failure to what a client may see; unexpected ones are logged by the caller. */
  public static EcbException of(Throwable t) {
    return t instanceof EcbException e ? e : new EcbException(ErrorCode.INTERNAL, "internal error");
  }

  /** {@code {"code": CODE, "message": text}}, the body of every error on every transport. */
  public JsonObject toJson() {
    return new JsonObject().put("code", code.name()).put("message", getMessage());
  }
}
