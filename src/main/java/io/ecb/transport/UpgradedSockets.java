package io.ecb.transport;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.concurrent.OutboundMessageQueue;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.streams.impl.MessagePassingQueue;

import java.lang.reflect.Field;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sheds what an accepted WebSocket keeps from its upgrade and needs no more, for as long as it
 * stays open: at 10,000s of mostly idle sockets per node, every kilobyte per socket is tens of
 * megabytes of heap.
 *
 * <p>The upgrade request's headers: Vert.x keeps them for {@link ServerWebSocket#headers()},
 * which nothing reads once the socket is accepted (origin, client address and tokens are taken
 * before), and a browser's can be kilobytes (cookies, user agent, languages).
 *
 * <p>The outbound message queues. Every Vert.x connection (the HTTP/1.x connection a WebSocket was upgraded from, which its
 * {@code ServerWebSocket} keeps through the upgrade request, and the WebSocket's own) queues
 * what it cannot write at once in a JCTools MPSC queue that Netty creates with a fixed first chunk
 * of 1,024 slots: 4 KiB each, 8 of the ~16 KiB an idle WebSocket holds, for a queue that is empty
 * whenever the socket keeps up: Vert.x hands a write on the event loop straight to the channel
 * when nothing is waiting, and queues only behind an unwritable channel or a write from another
 * thread. A {@link ConcurrentLinkedQueue} (unbounded, safe for many producers, like the one it
 * replaces) is 24 bytes empty and a node per waiting write (even the queue object of a small
 * JCTools chunk is padded to half a kilobyte against false sharing), so nothing changes for a
 * socket that falls behind but the memory of one that does not.
 *
 * <p>Vert.x has no option for it (its strict thread mode drops the HTTP connection's queue but
 * requires every response to be written on the request's own event loop, which SockJS's and
 * Engine.IO's polling sessions do not do, and does not apply to the WebSocket's queue), so this
 * reaches into three of its fields. If a Vert.x version no longer has them, queues keep their
 * size and a warning says so once.
 */
public final class UpgradedSockets {

  private static final Logger LOG = Logger.getLogger(UpgradedSockets.class.getName());
  private static final Field CONNECTION_QUEUE;
  private static final Field MESSAGE_QUEUE;
  private static final Field ELEMENTS;

  static {
    Field connectionQueue = null, messageQueue = null, elements = null;
    try {
      connectionQueue = accessible(VertxConnection.class.getDeclaredField("outboundMessageQueue"));
      messageQueue = accessible(OutboundMessageQueue.class.getDeclaredField("mqp"));
      elements = accessible(MessagePassingQueue.class.getDeclaredField("queue"));
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.WARNING, "Vert.x connections keep their 4 KiB outbound queues: " + e);
      connectionQueue = null;
    }
    CONNECTION_QUEUE = connectionQueue;
    MESSAGE_QUEUE = messageQueue;
    ELEMENTS = elements;
  }

  private UpgradedSockets() {
  }

  private static Field accessible(Field f) {
    f.setAccessible(true);
    return f;
  }

  /**
   * Sheds the upgrade's leftovers of {@code ws}, upgraded from {@code http}. Call on its event loop
   * as it is accepted, before anything is written to it and once its headers have been read.
   * Returns whether both its connections have the small queue now.
   */
  public static boolean trim(ServerWebSocket ws, HttpConnection http) {
    ws.headers().clear();
    return shrinkQueues(http);
  }

  /**
   * Shrinks the queues of both connections of a WebSocket upgraded from {@code http}: the HTTP
   * connection's own, and that of the WebSocket's connection, which after the upgrade is the one
   * behind the channel's Vert.x handler.
   */
  static boolean shrinkQueues(HttpConnection http) {
    if (!(http instanceof VertxConnection connection)) return false;
    VertxConnection ws = WebSocketFrameWriter.webSocketConnection(http);
    boolean http1 = shrink(connection);
    return ws != null && ws != connection && shrink(ws) && http1;
  }

  /**
   * Swaps {@code connection}'s empty outbound queue for a small one. Call on the connection's event
   * loop before anything else can write to it (when the WebSocket is accepted). Returns whether
   * it has the small queue now.
   */
  static boolean shrink(VertxConnection connection) {
    if (CONNECTION_QUEUE == null) return false;
    try {
      if (!(CONNECTION_QUEUE.get(connection) instanceof OutboundMessageQueue<?> outbound)) return false;
      Object mpsc = MESSAGE_QUEUE.get(outbound);
      if (!(ELEMENTS.get(mpsc) instanceof Queue<?> elements) || !elements.isEmpty()) return false;
      if (!(elements instanceof ConcurrentLinkedQueue<?>)) ELEMENTS.set(mpsc, new ConcurrentLinkedQueue<>());
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
