package io.ecb.push.sender;

import io.ecb.transport.SseStream;
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
  private final SseStream out;
  private long keepAlive = -1;

  SseConnection(ChannelSenderProfile profile, HttpServerResponse response, String ref) {
    super(profile, ref);
    this.response = response;
    this.out = new SseStream(response, profile.outboundQueueBytes, () -> close(RETRY_LATER));
    response.closeHandler(v -> cleanUp());
    response.exceptionHandler(e -> { });
  }

  private void cleanUp() {
    if (keepAlive >= 0) vertx.cancelTimer(keepAlive);
    stop();
  }

  @Override
  protected void connected() {
    out.open();
    response.putHeader("Connection", "keep-alive");
    out.write(":ok\n\n");
    keepAlive = vertx.setPeriodic(profile.keepAliveMs, t -> out.write(":\n\n"));
  }

  @Override
  protected Future<Void> write(JsonArray frame) {
    return out.write("data: " + frame.encode() + "\n\n");
  }

  @Override
  protected boolean writeQueueFull() {
    return out.writeQueueFull();
  }

  @Override
  protected boolean autoAck() {
    return true;
  }

  @Override
  protected void closeTransport(String reason) {
    if (keepAlive >= 0) vertx.cancelTimer(keepAlive);
    out.end();
  }
}
