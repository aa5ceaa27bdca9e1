package io.ecb.backend;

import io.vertx.core.MultiMap;

import java.util.List;

/**
 * The check a customer backend runs on each webhook before it answers: a v2 signature that matches
 * one of its secrets over the request id, the operation and the raw body, a timestamp within the
 * tolerance, and a request id not seen before ({@link WebhookReplayGuard}). Optionally the v1
 * signature too, for a backend that wants both versions to hold.
 */
public final class WebhookCheck {

  /** OK, or why the request is refused: a bad signature or a replay (401), or too many ids to remember (503). */
  public enum Result { OK, BAD_SIGNATURE, REPLAYED, FULL }

  private final List<String> secrets;
  private final long toleranceSeconds;
  private final boolean requireV1;
  private final WebhookReplayGuard replays;

  public WebhookCheck(List<String> secrets, long toleranceSeconds, long maxRequestIds, boolean requireV1) {
    this.secrets = List.copyOf(secrets);
    this.toleranceSeconds = toleranceSeconds;
    this.requireV1 = requireV1;
    this.replays = new WebhookReplayGuard(toleranceSeconds, maxRequestIds);
  }

  /** Checks one request: its headers, its operation (the last path segment) and its raw body. */
  public Result check(MultiMap headers, String operation, byte[] body) {
    String signature = headers.get(WebhookSignature.HEADER);
    String timestamp = headers.get(WebhookSignature.TIMESTAMP);
    String requestId = headers.get(WebhookSignature.REQUEST_ID);
    boolean signed = secrets.stream().anyMatch(secret ->
      WebhookSignature.verifyV2(signature, timestamp, requestId, operation, body, secret, toleranceSeconds)
        && (!requireV1 || WebhookSignature.verify(signature, timestamp, body, secret, toleranceSeconds)));
    if (!signed) return Result.BAD_SIGNATURE;
    return switch (replays.check(requestId, timestamp)) {
      case FIRST -> Result.OK;
      case REPLAYED -> Result.REPLAYED;
      case FULL -> Result.FULL;
    };
  }
}
