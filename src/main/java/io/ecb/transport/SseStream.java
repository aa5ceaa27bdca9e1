package io.ecb.transport;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * A Server-Sent Events response, for every SSE transport: opened with the same headers, written
 * through a bounded outbound queue. A client that lets more than the bound pile up unsent is cut
 * off ({@code onOverflow}) instead of growing the heap; it resumes from its last event id. Which
 * browser origins may read the stream is decided before it opens, by {@link Origins} on its route.
 * Used from the response's event loop only.
 */
public final class SseStream {

  private final HttpServerResponse response;
  private final long maxQueuedBytes;
  private final Runnable onOverflow;
  private long queued;

  public SseStream(HttpServerResponse response, long maxQueuedBytes, Runnable onOverflow) {
    this.response = response;
    this.maxQueuedBytes = maxQueuedBytes;
    this.onOverflow = onOverflow;
  }

  /** Sets the stream's status and headers; they go out with the first {@link #write}. */
  public void open() {
    response.setStatusCode(200).setChunked(true)
      .putHeader("Content-Type", "text/event-stream")
      .putHeader("Cache-Control", "no-cache")
      // Proxies such as nginx would otherwise hold events back to fill their buffers.
      .putHeader("X-Accel-Buffering", "no");
  }

  /** Queues {@code text}; fails, and cuts the client off, when it would pass the bound. */
  public Future<Void> write(String text) {
    Buffer b = Buffer.buffer(text);
    int n = b.length();
    if (queued + n > maxQueuedBytes) {
      onOverflow.run();
      return Future.failedFuture("slow consumer: more than " + maxQueuedBytes + " bytes unsent");
    }
    queued += n;
    return response.write(b).andThen(ar -> queued -= n);
  }

  /** Whether the connection has more unsent than its transport buffers, for senders that hold back rather than queue. */
  public boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  /** Ends the response unless the client already went. */
  public void end() {
    if (!response.ended() && !response.closed()) response.end();
  }
}
