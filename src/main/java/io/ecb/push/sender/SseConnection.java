package io.ecb.push.sender;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;

/**
 * The SSE transport ({@code GET /ext/sse?channel=<ref>}, {@code Authorization: Bearer <secret>}):
 * one {@code data: [mid,cid,event,data]} frame per message, acked automatically once written
 * (SSE clients cannot send acks). A comment line is sent every http.keepAliveSeconds (25 s) to keep
 * proxies from timing out.
 */
final class SseConnection extends SenderConnection {

  private final HttpServerResponse response;
  private long keepAlive = -1;

  SseConnection(ChannelSenderProfile profile, HttpServerResponse response, String ref) {
    super(profile, ref);
    this.response = response;
    response.closeHandler(v -> cleanUp());
    response.exceptionHandler(e -> { });
  }

  private void cleanUp() {
    if (keepAlive >= 0) vertx.cancelTimer(keepAlive);
    stop();
  }

  @Override
  protected void connected() {
    response.setStatusCode(200).setChunked(true)
      .putHeader("Content-Type", "text/event-stream")
      .putHeader("Cache-Control", "no-cache")
      .putHeader("Connection", "keep-alive")
      .putHeader("Access-Control-Allow-Origin", "*")
      .write(":ok\n\n");
    keepAlive = vertx.setPeriodic(profile.keepAliveMs, t -> response.write(":\n\n"));
  }

  @Override
  protected Future<Void> write(JsonArray frame) {
    return response.write("data: " + frame.encode() + "\n\n");
  }

  @Override
  protected boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  @Override
  protected boolean autoAck() {
    return true;
  }

  @Override
  protected void closeTransport(String reason) {
    if (keepAlive >= 0) vertx.cancelTimer(keepAlive);
    if (!response.ended() && !response.closed()) response.end();
  }
}
