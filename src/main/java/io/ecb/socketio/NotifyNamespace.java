package io.ecb.socketio;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.push.notify.ChannelNotifyProfile;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * Namespace {@code /}: the Channel notify profile as its clients use it,
 * {@code io(url, {auth: {token, keycloakID, channel}})} and {@code socket.on('notification', ...)}.
 * The socket follows the channel's notify stream as the token's user, exactly as a bridge
 * registration of {@code ecb.notify.<channel>} does, so {@code POST /notify} reaches it by channel,
 * by user, or both, and counts it once.
 */
final class NotifyNamespace extends Namespace {

  NotifyNamespace(EngineSession session) {
    super(session, SocketIoServer.ROOT);
  }

  @Override
  Future<Void> connect(JsonObject auth) {
    Object channel = auth.getValue("channel");
    if (!(channel instanceof String c) || c.isEmpty() || c.length() > 255) {
      return Future.failedFuture(EcbException.badRequest("channel must be 1 to 255 characters"));
    }
    Object keycloakID = auth.getValue("keycloakID");
    Object token = auth.getValue("token");
    return here(server.notify.verify(session.caller, token instanceof String t ? t : null)).compose(userId -> {
      if (!userId.equals(keycloakID)) return Future.failedFuture(EcbException.forbidden("keycloakID does not match the token"));
      if (!server.notify.mayJoin((String) token, c)) {
        return Future.failedFuture(EcbException.forbidden("channel " + c + " is not in the userToken's channels"));
      }
      if (closed) return Future.succeededFuture();
      String stream = ChannelNotifyProfile.STREAM_PREFIX + c;
      subscriptions.put(channel.toString(), stream);
      return server.fanout.subscribe(stream, userId, this).timeout(10, TimeUnit.SECONDS)
        .recover(e -> Future.failedFuture(e instanceof EcbException ? e
          : new EcbException(ErrorCode.UNAVAILABLE, "subscription not confirmed by the cluster in time; retry")));
    });
  }

  @Override
  void onEvent(SocketIoPacket event) {
    ackError(event.ackId(), new EcbException(ErrorCode.NOT_FOUND, "this namespace takes no events"));
  }
}
