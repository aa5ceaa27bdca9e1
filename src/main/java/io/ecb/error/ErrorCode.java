package io.ecb.error;

/** The error codes of the client API and the HTTP status each one travels with. */
public enum ErrorCode {
  BAD_REQUEST(400),
  UNAUTHORIZED(401),
  FORBIDDEN(403),
  NOT_FOUND(404),
  CONFLICT(409),
  PAYLOAD_TOO_LARGE(413),
  RATE_LIMITED(429),
  INTERNAL(500),
  BACKEND_ERROR(502),
  UNAVAILABLE(503),
  BACKEND_TIMEOUT(504);

  public final int status;

  ErrorCode(int status) {
    this.status = status;
  }

  /** The code a backend's 4xx status passes through as; unknown 4xx statuses become BAD_REQUEST. */
  public static ErrorCode forClientStatus(int status) {
    for (ErrorCode c : values()) {
      if (c.status == status && status < 500) return c;
    }
    return BAD_REQUEST;
  }
}
