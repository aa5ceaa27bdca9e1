package io.ecb.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Writes to an SSE response through a bounded outbound queue: a client that lets more than the
 * bound pile up unsent is cut off ({@code onOverflow}) instead of growing the heap; it resumes
 * from its last event id. Used from the response's event loop only.
 */
public final class SseWriter {

  private final HttpServerResponse response;
  private final long maxQueuedBytes;
  private final Runnable onOverflow;
  private long queued;

  public SseWriter(HttpServerResponse response, long maxQueuedBytes, Runnable onOverflow) {
    this.response = response;
    this.maxQueuedBytes = maxQueuedBytes;
    this.onOverflow = onOverflow;
  }

  public void write(String text) {
    Buffer b = Buffer.buffer(text);
    int n = b.length();
    if (queued + n > maxQueuedBytes) {
      onOverflow.run();
      return;
    }
    queued += n;
    response.write(b).onComplete(ar -> queued -= n);
  }
}
