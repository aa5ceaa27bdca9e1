package io.ecb.socketio;

import io.ecb.auth.Caller;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.DeliveryBatch;
import io.ecb.socketio.EngineIo.Frame;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One Engine.IO connection: its transport (HTTP long-polling, WebSocket, or polling being upgraded
 * to WebSocket), its pings, and the Socket.IO namespaces multiplexed over it.
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
  /** Failed token checks are limited per connection too: past the budget the connection ends. */
  final Caller caller;
  final Context context;

  // Polling: packets waiting for the next GET, and the GET waiting for packets.
  private final ArrayDeque<Frame> queue = new ArrayDeque<>(4);
  private long queuedBytes;
  private HttpServerResponse pendingGet;
  // WebSocket, once open or upgraded; and one being probed for the upgrade.
  private ServerWebSocket ws;
  private VertxConnection wsConnection;
  private ServerWebSocket probing;
  private VertxConnection probingConnection;
  /** The probe was answered: the client is pausing polling, so a GET gets a noop at once. */
  private boolean probed;

  private final Map<String, Namespace> namespaces = new HashMap<>(2);
  /** Binary attachments still to arrive for a refused binary packet: dropped as they come. */
  private int skipAttachments;
  /** A last packet is on its way (a CONNECT_ERROR that ends the connection): close once it is out. */
  private boolean closing;
  private short closingCode;
  private String closingReason;
  private boolean closed;

  volatile long nextPingAt;
  /** When the pong for the last ping is due, or 0 when none is awaited. */
  private volatile long pongDeadline;
  private volatile long upgradeDeadline;
  /** A namespace has a checkpoint to send at the next sweep. */
  private volatile boolean checkpointDue;
  /** Until a namespace is joined: when the connection is closed for joining none. */
  private volatile long connectDeadline;

  EngineSession(SocketIoServer server, String sid, SocketAddress remote) {
    this.server = server;
    this.sid = sid;
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
    pollingHeaders(res).end(Buffer.buffer(EngineIo.open(sid, true, server.maxPayload).packet()));
  }

  void openWebSocket(ServerWebSocket socket, HttpConnection connection) {
    ws = socket;
    wsConnection = webSocketConnection(connection);
    socket.setWriteQueueMaxSize(server.outboundBytes);
    listen(socket);
    write(EngineIo.open(sid, false, server.maxPayload));
  }

  /** A WebSocket for this session's sid: the probe of an upgrade from polling. */
  void probe(ServerWebSocket socket, HttpConnection connection) {
    listen(socket);
    onContext(() -> {
      if (closed || ws != null || probing != null) {
        socket.close();
        return;
      }
      probing = socket;
      probingConnection = webSocketConnection(connection);
      upgradeDeadline = System.currentTimeMillis() + UPGRADE_TIMEOUT_MS;
    });
  }

  private void listen(ServerWebSocket socket) {
    socket.textMessageHandler(text -> onContext(() -> onWebSocketText(socket, text)));
    socket.binaryMessageHandler(data -> onContext(() -> {
      if (socket == ws) onBinary();
    }));
    socket.closeHandler(v -> onContext(() -> webSocketClosed(socket)));
    socket.exceptionHandler(e -> onContext(() -> webSocketClosed(socket)));
  }

  /**
   * The connection the WebSocket writes through: after the upgrade, the HTTP connection's channel
   * carries a new Vert.x handler whose connection is the WebSocket's (as the bridge's WebSocketTransport does).
   */
  private static VertxConnection webSocketConnection(HttpConnection http) {
    if (!(http instanceof ConnectionBase base)) return null;
    VertxHandler<?> handler = base.channel().pipeline().get(VertxHandler.class);
    return handler == null ? null : handler.getConnection();
  }

  private void onWebSocketText(ServerWebSocket socket, String text) {
    if (closed) return;
    if (socket == ws) {
      // The UTF-8 size is only needed when it might pass the limit (at most 3 bytes per char).
      if (text.length() > server.maxPayload / 3 && ByteBufUtil.utf8Bytes(text) > server.maxPayload) {
        close("payload too large");
        return;
      }
      if (!onPacket(text)) close("protocol error");
    } else if (socket == probing) {
      if ("2probe".equals(text)) {
        writeTo(socket, probingConnection, EngineIo.PONG_PROBE);
        probed = true;
        // The client pauses polling before it upgrades: let its pending GET return.
        if (pendingGet != null) respond(List.of(EngineIo.NOOP_PACKET));
      } else if ("5".equals(text)) {
        upgraded();
      } else {
        probing = null;
        probed = false;
        socket.close();
      }
    }
  }

  /** The upgrade is done: the WebSocket carries everything from now on, starting with what polling had queued. */
  private void upgraded() {
    ws = probing;
    wsConnection = probingConnection;
    probing = null;
    probingConnection = null;
    upgradeDeadline = 0;
    ws.setWriteQueueMaxSize(server.outboundBytes);
    if (pendingGet != null) respond(List.of(EngineIo.NOOP_PACKET));
    for (Frame f : queue) write(f);
    queue.clear();
    queuedBytes = 0;
    if (closing) close(closingCode, closingReason);
  }

  private void webSocketClosed(ServerWebSocket socket) {
    if (socket == probing) {
      probing = null;
      probed = false;
      probingConnection = null;
      upgradeDeadline = 0;
    } else if (socket == ws) {
      close("transport close");
    }
  }

  // ---- polling

  void poll(HttpServerResponse res) {
    res.closeHandler(v -> onContext(() -> {
      if (pendingGet == res) pendingGet = null;
    }));
    onContext(() -> {
      if (closed) {
        SocketIoServer.error(res, EngineIo.Error.UNKNOWN_SID);
      } else if (ws != null) {
        SocketIoServer.error(res, EngineIo.Error.BAD_REQUEST);
      } else if (pendingGet != null) {
        // Two GETs at once: the reference server ends the session ("overlap from client").
        SocketIoServer.error(res, EngineIo.Error.BAD_REQUEST);
        close("overlapping polls");
      } else {
        pendingGet = res;
        if (probed && queue.isEmpty()) respond(List.of(EngineIo.NOOP_PACKET));
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

  private static HttpServerResponse pollingHeaders(HttpServerResponse res) {
    return res.putHeader("Content-Type", "text/plain; charset=UTF-8").putHeader("Cache-Control", "no-store");
  }

  private void flush() {
    if (pendingGet == null || queue.isEmpty()) return;
    List<Frame> out = new ArrayList<>(queue);
    queue.clear();
    queuedBytes = 0;
    respond(out);
    if (closing) close(closingCode, closingReason);
  }

  private void respond(List<Frame> packets) {
    HttpServerResponse res = pendingGet;
    pendingGet = null;
    if (!res.ended()) pollingHeaders(res).end(EngineIo.encodePayload(packets));
  }

  // ---- inbound packets

  /** Handles one Engine.IO packet from the client; false when it is not one. */
  private boolean onPacket(String packet) {
    if (packet.isEmpty()) return false;
    switch (packet.charAt(0)) {
      case EngineIo.PONG -> pongDeadline = 0;
      case EngineIo.MESSAGE -> {
        return onSocketIo(packet.substring(1));
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
    if (skipAttachments > 0) skipAttachments--;
  }

  /** Handles a Socket.IO packet; false when it is malformed (the session then ends, as the reference server's does). */
  private boolean onSocketIo(String text) {
    SocketIoPacket p;
    try {
      p = SocketIoPacket.decode(text);
    } catch (SocketIoPacket.MalformedPacketException e) {
      server.protocolErrors.increment();
      return false;
    }
    Namespace ns = namespaces.get(p.nsp());
    switch (p.type()) {
      case SocketIoPacket.CONNECT -> connect(p);
      case SocketIoPacket.DISCONNECT -> {
        if (ns != null) {
          namespaces.remove(p.nsp());
          ns.closed();
        }
      }
      case SocketIoPacket.EVENT -> {
        if (ns != null && ns.connected) ns.onEvent(p);
      }
      case SocketIoPacket.BINARY_EVENT, SocketIoPacket.BINARY_ACK -> {
        skipAttachments += p.attachments();
        if (p.type() == SocketIoPacket.BINARY_EVENT && p.ackId() >= 0 && ns != null && ns.connected) {
          ns.ackError(p.ackId(), EcbException.badRequest("binary payloads are not supported"));
        }
      }
      case SocketIoPacket.ACK -> {
        // The server asks for no acknowledgements: nothing to match.
      }
      default -> {
        server.protocolErrors.increment();
        return false;
      }
    }
    return true;
  }

  private void connect(SocketIoPacket p) {
    String nsp = p.nsp();
    if (namespaces.containsKey(nsp)) return;
    Namespace ns = switch (nsp) {
      case SocketIoServer.CHAT -> new ChatNamespace(this);
      case SocketIoServer.ROOT -> new NotifyNamespace(this);
      default -> null;
    };
    if (ns == null) {
      send(SocketIoPacket.connectError(nsp, new JsonObject().put("message", "Invalid namespace")));
      return;
    }
    namespaces.put(nsp, ns);
    JsonObject auth = p.data() instanceof JsonObject o ? o : new JsonObject();
    ns.connect(auth).onComplete(ar -> onContext(() -> {
      if (closed || namespaces.get(nsp) != ns) {
        ns.closed();
        return;
      }
      if (ar.succeeded()) {
        ns.connected = true;
        connectDeadline = 0;
        send(SocketIoPacket.connect(nsp, ns.connectData()));
        ns.afterConnect();
        return;
      }
      namespaces.remove(nsp);
      ns.closed();
      EcbException e = Namespace.clientError(ar.cause());
      send(SocketIoPacket.connectError(nsp, new JsonObject()
        .put("message", e.code.name())
        .put("data", new JsonObject().put("code", e.code.name()))));
      // Token checks past their limit: the connection goes, once the answer is out.
      if (e.code == ErrorCode.RATE_LIMITED) closeAfterFlush(AUTH_FAILURES, AUTH_FAILURES_REASON);
    }));
  }

  // ---- outbound

  /** A Socket.IO packet from this server: replies, acks, connects. Always written. */
  void send(SocketIoPacket packet) {
    send(EngineIo.message(packet.encode()));
  }

  private void send(Frame f) {
    if (closed) return;
    if (ws != null) {
      write(f);
    } else {
      queue.add(f);
      queuedBytes += f.packetLength();
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
      queue.add(f);
      queuedBytes += f.packetLength();
      if (queuedBytes > server.outboundBytes) slow();
      else flush();
    }
  }

  void deliver(DeliveryBatch batch) {
    if (closed) return;
    if (ws == null || wsConnection == null) {
      for (Delivery d : batch.deliveries()) deliver(d);
      return;
    }
    if (slowWebSocket()) return;
    // One write of the batch's frames, built once for every socket of this loop.
    wsConnection.writeToChannel(Unpooled.wrappedBuffer(batch.otherWebSocketFrames(d -> SocketIoServer.frame(d).bytes())));
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
    writeTo(ws, wsConnection, f);
  }

  private static void writeTo(ServerWebSocket socket, VertxConnection connection, Frame f) {
    if (connection != null) {
      // A fresh wrapper per socket over the shared bytes.
      connection.writeToChannel(Unpooled.wrappedBuffer(f.bytes()));
    } else {
      socket.writeTextMessage(f.packet());
    }
  }

  // ---- pings and the end

  /** Whether the sweep has something to do for this session now. */
  boolean due(long now) {
    long pong = pongDeadline;
    long upgrade = upgradeDeadline;
    long connect = connectDeadline;
    return (pong > 0 ? now > pong : now >= nextPingAt) || upgrade > 0 && now > upgrade || connect > 0 && now > connect
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
      namespaces.values().forEach(Namespace::checkpoint);
    }
    if (upgradeDeadline > 0 && now > upgradeDeadline && probing != null) {
      probing.close();
      probing = null;
      probed = false;
      probingConnection = null;
      upgradeDeadline = 0;
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
  private void closeAfterFlush(short code, String reason) {
    if (closed || closing) return;
    if (ws != null || queue.isEmpty()) {
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
    server.sessions.remove(sid);
    namespaces.values().forEach(Namespace::closed);
    namespaces.clear();
    queue.clear();
    queuedBytes = 0;
    if (pendingGet != null) respond(List.of(Frame.of(new byte[]{EngineIo.CLOSE})));
    if (probing != null) probing.close();
    if (ws != null) ws.close(code, reason);
  }

  boolean closed() {
    return closed;
  }

  /** Whether a polling GET is waiting for packets, read on the session's event loop. */
  Future<Boolean> pollWaiting() {
    Promise<Boolean> waiting = Promise.promise();
    onContext(() -> waiting.complete(pendingGet != null));
    return waiting.future();
  }
}
