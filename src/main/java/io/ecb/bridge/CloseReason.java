package io.ecb.bridge;

/**
 * Why the server closes a bridge connection. The code and reason reach the client's close event
 * (SockJS close frame, or WebSocket close status). Every one of them invites a reconnect.
 */
public enum CloseReason {
  NORMAL(3000, "Go away!"),
  SHUTDOWN(4000, "server shutting down; reconnect"),
  SLOW_CONSUMER(4001, "slow consumer; reconnect and recover"),
  PING_TIMEOUT(4002, "no ping received"),
  PROTOCOL_ERROR(4003, "invalid frame"),
  /** Past {@code limits.failedAuthPerSecond}: the last refused request was answered RATE_LIMITED first. */
  AUTH_FAILURES(4008, "too many failed token checks");

  public final int code;
  public final String reason;

  CloseReason(int code, String reason) {
    this.code = code;
    this.reason = reason;
  }
}
