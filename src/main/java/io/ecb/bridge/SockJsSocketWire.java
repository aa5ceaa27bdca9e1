package io.ecb.bridge;

import io.ecb.delivery.Delivery;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

/**
 * A bridge session over SockJS's HTTP fallbacks (xhr-streaming, polling, eventsource, ...), through
 * the stock SockJS handler. These sessions buffer inside SockJS until the client's next poll, and
 * SockJS closes a session whose client stops polling for its session timeout (5 s), which bounds
 * what can pile up for a client that went away.
 */
final class SockJsSocketWire implements Wire {

  private final SockJSSocket socket;
  private volatile boolean closed;

  SockJsSocketWire(SockJSSocket socket) {
    this.socket = socket;
  }

  @Override
  public void write(Buffer frame) {
    if (!closed) socket.write(frame);
  }

  @Override
  public void deliver(Delivery delivery) {
    if (!closed) socket.write(delivery.bridgeFrame());
  }

  @Override
  public void close(int code, String reason) {
    if (closed) return;
    closed = true;
    socket.close(code, reason);
  }
}
