package io.ecb.socketio;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * The Socket.IO layer of one {@link EngineSession}: the namespaces its client joined, and the
 * Socket.IO packets that the session's Engine.IO messages carry (CONNECT, DISCONNECT, EVENT, and
 * binary packets, which are refused). Runs on the session's event loop.
 */
final class Namespaces {

  private final EngineSession session;
  private final Map<String, Namespace> joined = new HashMap<>(2);
  /** Binary attachments still to arrive for a refused binary packet: dropped as they come. */
  private int skipAttachments;

  Namespaces(EngineSession session) {
    this.session = session;
  }

  /** Binary data: the attachment of a binary packet, which this server refuses; dropped. */
  void onBinary() {
    if (skipAttachments > 0) skipAttachments--;
  }

  /** Handles a Socket.IO packet; false when it is malformed (the session then ends, as the reference server's does). */
  boolean onMessage(String text) {
    SocketIoPacket p;
    try {
      p = SocketIoPacket.decode(text);
    } catch (SocketIoPacket.MalformedPacketException e) {
      session.server.protocolErrors.increment();
      return false;
    }
    Namespace ns = joined.get(p.nsp());
    switch (p.type()) {
      case SocketIoPacket.CONNECT -> connect(p);
      case SocketIoPacket.DISCONNECT -> {
        if (ns != null) {
          joined.remove(p.nsp());
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
        session.server.protocolErrors.increment();
        return false;
      }
    }
    return true;
  }

  private void connect(SocketIoPacket p) {
    String nsp = p.nsp();
    if (joined.containsKey(nsp)) return;
    Namespace ns = switch (nsp) {
      case SocketIoServer.CHAT -> new ChatNamespace(session);
      case SocketIoServer.ROOT -> new NotifyNamespace(session);
      default -> null;
    };
    if (ns == null) {
      session.send(SocketIoPacket.connectError(nsp, new JsonObject().put("message", "Invalid namespace")));
      return;
    }
    joined.put(nsp, ns);
    JsonObject auth = p.data() instanceof JsonObject o ? o : new JsonObject();
    ns.connect(auth).onComplete(ar -> session.onContext(() -> {
      if (session.closed() || joined.get(nsp) != ns) {
        ns.closed();
        return;
      }
      if (ar.succeeded()) {
        ns.connected = true;
        session.joined();
        session.send(SocketIoPacket.connect(nsp, ns.connectData()));
        ns.afterConnect();
        return;
      }
      joined.remove(nsp);
      ns.closed();
      EcbException e = Namespace.clientError(ar.cause());
      session.send(SocketIoPacket.connectError(nsp, new JsonObject()
        .put("message", e.code.name())
        .put("data", new JsonObject().put("code", e.code.name()))));
      // Token checks past their limit: the connection goes, once the answer is out.
      if (e.code == ErrorCode.RATE_LIMITED) session.closeAfterFlush(EngineSession.AUTH_FAILURES, EngineSession.AUTH_FAILURES_REASON);
    }));
  }

  /** Lets each joined namespace send its checkpoint. */
  void checkpoint(long now) {
    joined.values().forEach(ns -> ns.checkpoint(now));
  }

  /** The session ended: every namespace stops following its streams. */
  void closeAll() {
    joined.values().forEach(Namespace::closed);
    joined.clear();
  }
}
