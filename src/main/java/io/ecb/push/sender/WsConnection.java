package io.ecb.push.sender;

import io.ecb.transport.UpgradedSockets;
import io.ecb.auth.Caller;
import io.ecb.http.ConnectionGuard;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.net.SocketAddress;

/**
 * The WebSocket transport ({@code /ext/socket?channel=<ref>}), JSON flavour. Client text frames:
 * {@code Auth::<secret>} (first, within authTimeoutSeconds), {@code Ack::<message_id>},
 * {@code hb::<seq>}, {@code Info::<text>}; anything else is echoed as {@code Echo: <text>}.
 * Server frames are JSON arrays; protocol errors close with code 1001 and the reason as text
 * (3006, 3008, 3009, 3050), a deleted channel with 1000 "3000".
 */
final class WsConnection extends SenderConnection {

  private final ServerWebSocket ws;
  private final HttpConnection connection;
  /** The client address of the upgrade request, which failed secrets are charged against. */
  private final SocketAddress client;
  private boolean authStarted;
  private final long authTimer;
  private long pingTimer = -1;

  WsConnection(ChannelSenderProfile profile, ServerWebSocket ws, HttpConnection connection, SocketAddress client, String ref) {
    super(profile, ref);
    this.ws = ws;
    this.connection = connection;
    this.client = client;
    UpgradedSockets.trim(ws, connection);
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> close(BAD_REQUEST));
    ws.closeHandler(v -> {
      vertx.cancelTimer(pingTimer);
      stop();
    });
    // A message past the size limit (Vert.x reports a fragmented one here and leaves the socket
    // open), a broken frame or a failed write: close rather than leave a socket no one reads.
    ws.exceptionHandler(e -> close(BAD_REQUEST));
    authTimer = vertx.setTimer(profile.config.authTimeoutSeconds() * 1000, t -> {
      if (!live) close(BAD_SECRET); // no credentials in time
    });
    // Clients send hb:: only when they like; a WebSocket ping (answered by every client's
    // WebSocket stack) keeps a quiet connection inside the server's idle timeout.
    pingTimer = vertx.setPeriodic(profile.keepAliveMs, t -> ws.writePing(Buffer.buffer()));
  }

  private void onText(String text) {
    if (closed) return;
    if (!authStarted) {
      if (!text.startsWith("Auth::")) {
        close(BAD_REQUEST); // Auth:: must come first
        return;
      }
      authStarted = true;
      authenticate(text.substring(6).trim());
      return;
    }
    if (text.startsWith("Auth::")) return; // already authenticating or authenticated
    if (!live) return;
    if (text.startsWith("Ack::")) {
      ack(text.substring(5).trim());
    } else if (text.startsWith("hb::")) {
      ws.writeTextMessage(new JsonArray().add("").add(text.substring(4)).add(":hb").add("").encode());
    } else if (text.startsWith("Info::")) {
      // Free text from the client (e.g. "no-bindings-for[...]"); only of interest when debugging.
    } else {
      ws.writeTextMessage("Echo: " + text);
    }
  }

  private void authenticate(String secret) {
    ChannelSecrets.Verified v = profile.verifySecret(Caller.request(client), secret, ref);
    if (v == null) {
      close(RETRY_LATER); // too many bad secrets from this address: not even checked
      return;
    }
    if (!v.ok()) {
      close(BAD_SECRET);
      return;
    }
    start(v.claims()).onFailure(e -> close(RETRY_LATER));
  }

  @Override
  protected void connected() {
    vertx.cancelTimer(authTimer);
    ws.writeTextMessage("[\"\",\"\",\"AuthOk\",\"\"]");
  }

  @Override
  protected Future<Void> write(JsonArray frame) {
    return ws.writeTextMessage(frame.encode());
  }

  @Override
  protected boolean writeQueueFull() {
    return ws.writeQueueFull();
  }

  @Override
  protected boolean autoAck() {
    return false;
  }

  @Override
  protected void closeTransport(String reason) {
    vertx.cancelTimer(authTimer);
    vertx.cancelTimer(pingTimer);
    if (ws.isClosed()) return;
    ws.close(NORMAL.equals(reason) ? (short) 1000 : (short) 1001, reason);
    ConnectionGuard.dropAfter(connection, 10_000);
  }
}
