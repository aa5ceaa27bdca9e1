package io.ecb.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.x request decoder with two rules Netty's lacks.
 *
 * <p>Header deadline: a request's headers must be complete within {@code http.headerTimeoutSeconds}
 * of the connection's start (for its first request) or of the request's first byte (for later
 * ones on a kept-alive connection), or the connection is closed. A client dripping header bytes
 * would otherwise hold the connection forever, since every byte resets the idle timeout. A
 * kept-alive connection waiting for its next request, with nothing sent yet, falls under the idle
 * timeout instead.
 *
 * <p>Content-Length with Transfer-Encoding: Netty drops the Content-Length and reads the body as
 * chunked (RFC 9112 6.3 allows it). A front proxy that framed the body by Content-Length would then
 * disagree with this node on where the next request starts (request smuggling), so such a request
 * is refused: it reaches the server as invalid (400) and nothing after it on the connection is read.
 *
 * <p>Vert.x removes the decoder when a connection becomes a WebSocket, which ends the deadline too.
 */
final class GuardedRequestDecoder extends VertxHttpRequestDecoder {

  private final long timeoutNanos;
  private ChannelHandlerContext ctx;
  /** When the awaited headers are due (System.nanoTime), or 0 when none are awaited. */
  private long deadline;
  /** Headers received and the request's body not yet complete. */
  private boolean inRequest;
  /** A refused request was seen: every later byte is discarded until the connection closes. */
  private boolean discarding;
  private ScheduledFuture<?> check;

  GuardedRequestDecoder(HttpServerOptions options, long headerTimeoutMs) {
    super(options);
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(headerTimeoutMs);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    super.handlerAdded(ctx);
    this.ctx = ctx;
    // A connection that sends nothing at all must also be gone once its first headers are due.
    arm();
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    deadline = 0;
    if (check != null) check.cancel(false);
    check = null;
    super.handlerRemoved0(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (discarding) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!inRequest && deadline == 0 && in.isReadable()) arm();
    int from = out.size();
    super.decode(ctx, in, out);
    for (int i = from; i < out.size(); i++) {
      Object o = out.get(i);
      if (o instanceof HttpRequest request) {
        inRequest = true;
        deadline = 0;
        if (request.decoderResult().isSuccess() && hasBothLengths(request)) {
          refuse(request, in, out, i);
          return;
        }
      }
      if (o instanceof LastHttpContent) inRequest = false;
    }
  }

  private static boolean hasBothLengths(HttpRequest request) {
    return request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
      && request.headers().contains(HttpHeaderNames.CONTENT_LENGTH);
  }

  /** Replaces the request at {@code index} with an invalid one and drops everything after it. */
  private void refuse(HttpRequest request, ByteBuf in, List<Object> out, int index) {
    while (out.size() > index + 1) ReferenceCountUtil.release(out.remove(out.size() - 1));
    ReferenceCountUtil.release(request);
    HttpMessage invalid = createInvalidMessage();
    invalid.setDecoderResult(DecoderResult.failure(
      new IllegalArgumentException("both Content-Length and Transfer-Encoding")));
    out.set(index, invalid);
    inRequest = false;
    discarding = true;
    in.skipBytes(in.readableBytes());
  }

  /** Keeps Content-Length where Netty would remove it, so that {@link #decode} sees both and refuses the request. */
  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
  }

  private void arm() {
    if (timeoutNanos <= 0) return;
    deadline = System.nanoTime() + timeoutNanos;
    if (check == null) check = ctx.executor().schedule(this::checkDeadline, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * One scheduled check per connection at a time: a deadline met in the meantime is simply
   * cleared, and the check reschedules itself for a later one, so a busy connection schedules at
   * most one check per header timeout rather than one per request.
   */
  private void checkDeadline() {
    check = null;
    if (deadline == 0) return;
    long left = deadline - System.nanoTime();
    if (left > 0) {
      check = ctx.executor().schedule(this::checkDeadline, left, TimeUnit.NANOSECONDS);
    } else {
      deadline = 0;
      // From here towards the socket: Vert.x's handler, further on, would wait for responses in progress.
      ctx.close();
    }
  }
}
