package io.ecb.socketio;

import io.ecb.socketio.EngineIo.Frame;
import io.vertx.core.http.HttpServerResponse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP long-polling transport of an {@link EngineSession}: the packets queued for the client's
 * next GET, and the GET waiting for them. Used on the session's event loop only.
 */
final class Polling {

  private final ArrayDeque<Frame> queue = new ArrayDeque<>(4);
  private long queuedBytes;
  private HttpServerResponse waiting;

  static HttpServerResponse headers(HttpServerResponse res) {
    return res.putHeader("Content-Type", "text/plain; charset=UTF-8").putHeader("Cache-Control", "no-store");
  }

  /** Queues a packet for the next GET; how many bytes are queued now. */
  long add(Frame f) {
    queue.add(f);
    queuedBytes += f.packetLength();
    return queuedBytes;
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** Whether a GET is waiting for packets. */
  boolean waiting() {
    return waiting != null;
  }

  /** Holds {@code res} until there are packets for it. */
  void hold(HttpServerResponse res) {
    waiting = res;
  }

  /** The client gave up on {@code res}. */
  void forget(HttpServerResponse res) {
    if (waiting == res) waiting = null;
  }

  /** Sends what is queued to the waiting GET; false when there is no GET or nothing to send. */
  boolean flush() {
    if (waiting == null || queue.isEmpty()) return false;
    respond(drain());
    return true;
  }

  /** Answers the waiting GET, if there is one, with {@code packets}. */
  void respond(List<Frame> packets) {
    if (waiting == null) return;
    HttpServerResponse res = waiting;
    waiting = null;
    if (!res.ended()) headers(res).end(EngineIo.encodePayload(packets));
  }

  /** Takes every queued packet, in order. */
  List<Frame> drain() {
    List<Frame> out = new ArrayList<>(queue);
    clear();
    return out;
  }

  void clear() {
    queue.clear();
    queuedBytes = 0;
  }
}
