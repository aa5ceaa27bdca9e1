package io.ecb.socketio;

import io.ecb.auth.Caller;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.ecb.socketio.EngineIo.Frame;
import io.netty.buffer.ByteBufUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.SocketAddress;

import java.util.List;

/**
 * One Engine.IO connection: its transport ({@link Polling}, {@link EngineWebSocket}, or polling
 * being upgraded to WebSocket), its pings, and the Socket.IO {@link Namespaces} multiplexed over it.
 *
 * <p>All its state lives on one event loop, the one it was opened on: polling requests and an
 * upgrading WebSocket may arrive on others and hand their work over ({@link #onContext}).
 *
 * <p>What waits for the client is bounded by {@code limits.outboundQueueBytes}: on polling the
 * packets queued for the next GET, on WebSocket the bytes the kernel has not taken. Stream payloads
 * past the bound end the session as a slow consumer (WebSocket close 4001; a polling client's next
 * request finds its session gone and gets 400). Replies are always written: the client asked for
 * each one.
 */
final class EngineSession {

  static final short SHUTDOWN = 4000;
  static final short SLOW_CONSUMER = 4001;
  static final short AUTH_FAILURES = 4008;
  static final String AUTH_FAILURES_REASON = "too many failed token checks";
  private static final long UPGRADE_TIMEOUT_MS = 10_000;
  /** As the reference server's connectTimeout: a connection that joins no namespace in time is closed. */
  private static final long CONNECT_TIMEOUT_MS = 45_000;

  final SocketIoServer server;
  final String sid;
  /** Which of the server's sweep slices sees to this session. */
  final int slice;
  /** Failed token checks are limited per connection too: past the budget the connection ends. */
  final Caller caller;
  final Context context;

  // Polling: packets waiting for the next GET, and the GET waiting for packets.
  private final Polling polling = new Polling();
  // WebSocket, once open or upgraded; and one being probed for the upgrade (read by the sweep too).
  private EngineWebSocket ws;
  private volatile EngineWebSocket probing;

  private final Namespaces namespaces = new Namespaces(this);
  /** A last packet is on its way (a CONNECT_ERROR that ends the connection): close once it is out. */
  private boolean closing;
  private short closingCode;
  private String closingReason;
  private boolean closed;

  volatile long nextPingAt;
  /** When the pong for the last ping is due, or 0 when none is awaited. */
  private volatile long pongDeadline;
  /** A namespace has a checkpoint to send at the next sweep. */
  private volatile boolean checkpointDue;
  /** Until a namespace is joined: when the connection is closed for joining none. */
  private volatile long connectDeadline;

  EngineSession(SocketIoServer server, String sid, SocketAddress remote, int slice) {
    this.server = server;
    this.sid = sid;
    this.slice = slice;
    Context current = Vertx.currentContext();
    this.context = current instanceof ContextInternal c ? c.unwrap() : current;
    // Not at once: the refused check's answer (CONNECT_ERROR or ack RATE_LIMITED) is written in
    // the task that ran the check, and must reach the client before the connection goes.
    this.caller = Caller.connection(remote, () -> context.runOnContext(v -> closeAfterFlush(AUTH_FAILURES, AUTH_FAILURES_REASON)));
    long now = System.currentTimeMillis();
    this.nextPingAt = now + EngineIo.PING_INTERVAL_MS;
    this.connectDeadline = now + CONNECT_TIMEOUT_MS;
  }

  /** Runs {@code task} on this session's event loop: now if already there, else handed over in order. */
  void onContext(Runnable task) {
    if (context instanceof ContextInternal c && c.nettyEventLoop().inEventLoop()) task.run();
    else context.runOnContext(v -> task.run());
  }

  // ---- opening

  void openPolling(HttpServerResponse res) {
    Polling.headers(res).end(Buffer.buffer(EngineIo.open(sid, true, server.maxPayload).packet()));
  }

  void openWebSocket(ServerWebSocket socket, HttpConnection connection) {
    ws = new EngineWebSocket(socket, connection, 0);
    ws.bound(server.outboundBytes);
    listen(ws);
    write(EngineIo.open(sid, false, server.maxPayload));
  }

  /** A WebSocket for this session's sid: the probe of an upgrade from polling. */
  void probe(ServerWebSocket socket, HttpConnection connection) {
    EngineWebSocket probe = new EngineWebSocket(socket, connection, System.currentTimeMillis() + UPGRADE_TIMEOUT_MS);
    listen(probe);
    onContext(() -> {
      if (closed || ws != null || probing != null) {
        socket.close();
        return;
      }
      probing = probe;
    });
  }

  private void listen(EngineWebSocket w) {
    w.socket.textMessageHandler(text -> onContext(() -> onWebSocketText(w, text)));
    w.socket.binaryMessageHandler(data -> onContext(() -> {
      if (w == ws) onBinary();
    }));
    w.socket.closeHandler(v -> onContext(() -> webSocketClosed(w)));
    w.socket.exceptionHandler(e -> onContext(() -> webSocketClosed(w)));
  }

  private void onWebSocketText(EngineWebSocket w, String text) {
    if (closed) return;
    if (w == ws) {
      // The UTF-8 size is only needed when it might pass the limit (at most 3 bytes per char).
      if (text.length() > server.maxPayload / 3 && ByteBufUtil.utf8Bytes(text) > server.maxPayload) {
        close("payload too large");
        return;
      }
      if (!onPacket(text)) close("protocol error");
    } else if (w == probing) {
      if ("2probe".equals(text)) {
        w.write(EngineIo.PONG_PROBE);
        w.probed = true;
        // The client pauses polling before it upgrades: let its pending GET return.
        polling.respond(List.of(EngineIo.NOOP_PACKET));
      } else if ("5".equals(text)) {
        upgraded();
      } else {
        probing = null;
        w.close();
      }
    }
  }

  /** The upgrade is done: the WebSocket carries everything from now on, starting with what polling had queued. */
  private void upgraded() {
    ws = probing;
    probing = null;
    ws.bound(server.outboundBytes);
    polling.respond(List.of(EngineIo.NOOP_PACKET));
    for (Frame f : polling.drain()) write(f);
    if (closing) close(closingCode, closingReason);
  }

  private void webSocketClosed(EngineWebSocket w) {
    if (w == probing) {
      probing = null;
    } else if (w == ws) {
      close("transport close");
    }
  }

  // ---- polling

  void poll(HttpServerResponse res) {
    res.closeHandler(v -> onContext(() -> {
      polling.forget(res);
    }));
    onContext(() -> {
      if (closed) {
        SocketIoServer.error(res, EngineIo.Error.UNKNOWN_SID);
      } else if (ws != null) {
        SocketIoServer.error(res, EngineIo.Error.BAD_REQUEST);
      } else if (polling.waiting()) {
        // Two GETs at once: the reference server ends the session ("overlap from client").
        SocketIoServer.error(res, EngineIo.Error.BAD_REQUEST);
        close("overlapping polls");
      } else {
        polling.hold(res);
        if (probing != null && probing.probed && polling.isEmpty()) polling.respond(List.of(EngineIo.NOOP_PACKET));
        else flush();
      }
    });
  }

  void post(String body, HttpServerResponse res) {
    onContext(() -> {
      if (closed) {
        SocketIoServer.error(res, EngineIo.Error.UNKNOWN_SID);
        return;
      }
      if (ws != null) {
        SocketIoServer.error(res, EngineIo.Error.BAD_REQUEST);
        return;
      }
      for (String packet : EngineIo.decodePayload(body)) {
        if (!onPacket(packet)) {
          SocketIoServer.error(res, EngineIo.Error.BAD_REQUEST);
          close("protocol error");
          return;
        }
        if (closed) break;
      }
      res.putHeader("Content-Type", "text/html").end("ok");
    });
  }

  /** Hands the queue to a waiting GET; a session closing once its last packets are out closes then. */
  private void flush() {
    if (polling.flush() && closing) close(closingCode, closingReason);
  }

  // ---- inbound packets

  /** Handles one Engine.IO packet from the client; false when it is not one. */
  private boolean onPacket(String packet) {
    if (packet.isEmpty()) return false;
    switch (packet.charAt(0)) {
      case EngineIo.PONG -> pongDeadline = 0;
      case EngineIo.MESSAGE -> {
        return namespaces.onMessage(packet.substring(1));
      }
      case EngineIo.BINARY -> onBinary();
      case EngineIo.CLOSE -> close("client close");
      case EngineIo.NOOP, EngineIo.PING, EngineIo.UPGRADE -> {
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  /** Binary data: the attachment of a binary packet, which this server refuses; dropped. */
  private void onBinary() {
    namespaces.onBinary();
  }

  /** A namespace was joined: the connection has a purpose and may stay. */
  void joined() {
    connectDeadline = 0;
  }

  // ---- outbound

  /** A Socket.IO packet from this server: replies, acks, connects. Always written. */
  void send(SocketIoPacket packet) {
    send(EngineIo.message(packet.encode()));
  }

  private void send(Frame f) {
    if (closed) return;
    if (ws != null) {
      ws.writeReply(f);
    } else {
      polling.add(f);
      flush();
    }
  }

  /** A stream payload for one of this session's namespaces; past the bound, the session ends. */
  void deliver(Delivery d) {
    if (closed) return;
    Frame f = SocketIoServer.frame(d);
    if (ws != null) {
      if (slowWebSocket()) return;
      write(f);
    } else {
      if (polling.add(f) > server.outboundBytes) slow();
      else flush();
    }
  }

  void deliver(DeliveryBatch batch) {
    if (closed) return;
    if (ws == null || !ws.direct()) {
      for (Delivery d : batch.deliveries()) deliver(d);
      return;
    }
    if (slowWebSocket()) return;
    // One write of the batch's frames, built once for every socket of this loop.
    ws.write(batch.otherWebSocketFrames(d -> SocketIoServer.frame(d).bytes()));
  }

  private boolean slowWebSocket() {
    if (!ws.writeQueueFull()) return false;
    slow();
    return true;
  }

  private void slow() {
    server.slowConsumers.increment();
    close(SLOW_CONSUMER, "slow consumer; reconnect and recover");
  }

  private void write(Frame f) {
    ws.write(f);
  }

  // ---- pings and the end

  /** Whether the sweep has something to do for this session now. */
  boolean due(long now) {
    long pong = pongDeadline;
    EngineWebSocket probe = probing;
    long connect = connectDeadline;
    return (pong > 0 ? now > pong : now >= nextPingAt) || probe != null && now > probe.upgradeDeadline || connect > 0 && now > connect
      || checkpointDue;
  }

  /** Asks the next sweep (at most a second away) to let the namespaces send their checkpoints. */
  void checkpointDue() {
    checkpointDue = true;
  }

  void tick(long now) {
    if (closed) return;
    if (connectDeadline > 0 && now > connectDeadline) {
      close("no namespace joined");
      return;
    }
    if (checkpointDue) {
      checkpointDue = false;
      namespaces.checkpoint(now);
    }
    if (probing != null && now > probing.upgradeDeadline) {
      probing.close();
      probing = null;
    }
    if (pongDeadline > 0) {
      if (now > pongDeadline) close("ping timeout");
    } else if (now >= nextPingAt) {
      nextPingAt = now + EngineIo.PING_INTERVAL_MS;
      pongDeadline = now + EngineIo.PING_TIMEOUT_MS;
      send(EngineIo.PING_PACKET);
    }
  }

  /**
   * Closes once what is queued has reached the client: a WebSocket now (its writes go out in
   * order, before the close frame), polling after the next GET has taken the queue.
   */
  void closeAfterFlush(short code, String reason) {
    if (closed || closing) return;
    if (ws != null || polling.isEmpty()) {
      // Nothing waits for a poll: what was queued went out with a response already.
      close(code, reason);
    } else {
      closing = true;
      closingCode = code;
      closingReason = reason;
      flush();
    }
  }

  /** Closes from any thread. */
  void closeLater(String reason) {
    onContext(() -> close(reason));
  }

  void closeLater(short code, String reason) {
    onContext(() -> close(code, reason));
  }

  void close(String reason) {
    close((short) 1000, reason);
  }

  /**
   * Ends the session: its namespaces stop following their streams, a WebSocket closes with
   * {@code code}, a waiting GET gets the close packet, and later requests for its sid get 400.
   */
  void close(short code, String reason) {
    if (closed) return;
    closed = true;
    server.forget(this);
    namespaces.closeAll();
    polling.clear();
    polling.respond(List.of(Frame.of(new byte[]{EngineIo.CLOSE})));
    if (probing != null) probing.close();
    if (ws != null) ws.close(code, reason);
  }

  boolean closed() {
    return closed;
  }

  /** Whether a polling GET is waiting for packets, read on the session's event loop. */
  Future<Boolean> pollWaiting() {
    Promise<Boolean> waiting = Promise.promise();
    onContext(() -> waiting.complete(polling.waiting()));
    return waiting.future();
  }
}
