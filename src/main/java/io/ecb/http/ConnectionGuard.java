package io.ecb.http;

import io.ecb.config.EcbConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every HTTP connection of the node must respect before it gets to a handler: at most
 * {@code limits.connectionsPerIp} open connections per client address (counted over all the node's
 * HTTP server instances; the excess is closed at once, before it costs more than a socket), and
 * request headers within {@code http.headerTimeoutSeconds} ({@link GuardedRequestDecoder}, which
 * also refuses requests with both Content-Length and Transfer-Encoding). The idle timeout is the
 * server's own option.
 *
 * <p>The count is of TCP peers, what actually holds the sockets, never of an address a forwarding
 * header names; and a trusted proxy ({@code http.trustedProxies}) is not counted at all, since it
 * multiplexes the connections of many clients (limiting connections per client is the proxy's
 * job then).
 */
public final class ConnectionGuard {

  private final int maxPerAddress;
  private final long headerTimeoutMs;
  private final ClientAddress proxies;
  private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();
  /** Connections closed on arrival because their address had too many open. */
  public final LongAdder refused = new LongAdder();

  public ConnectionGuard(EcbConfig config, ClientAddress proxies) {
    this.maxPerAddress = config.limits.connectionsPerIp;
    this.headerTimeoutMs = config.http.headerTimeoutSeconds * 1000L;
    this.proxies = proxies;
  }

  /**
   * The server's connection handler: called on the connection's event loop as it is accepted,
   * before any of its bytes are read (the pipeline is HTTP/1.x from the start: h2c is off).
   */
  public void accept(HttpConnection connection, HttpServerOptions options) {
    if (!(connection instanceof ConnectionBase base)) return;
    Channel channel = base.channel();
    SocketAddress remote = connection.remoteAddress();
    String address = remote == null ? null : remote.hostAddress();
    if (address != null && maxPerAddress > 0 && !proxies.isTrustedProxy(remote)) {
      if (!admit(address)) {
        refused.increment();
        channel.close();
        return;
      }
      // Runs exactly once whichever way the connection ends, even if it is already closed.
      channel.closeFuture().addListener(f -> release(address));
    }
    var pipeline = channel.pipeline();
    if (pipeline.get("httpDecoder") != null) {
      pipeline.replace("httpDecoder", "httpDecoder", new GuardedRequestDecoder(options, headerTimeoutMs));
    }
  }

  private boolean admit(String address) {
    boolean[] admitted = new boolean[1];
    open.compute(address, (a, n) -> {
      int count = n == null ? 0 : n;
      if (count >= maxPerAddress) return n;
      admitted[0] = true;
      return count + 1;
    });
    return admitted[0];
  }

  private void release(String address) {
    open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }

  /**
   * Drops {@code connection}'s TCP connection once it stops making progress, checked every
   * {@code periodMs}. For a WebSocket being closed: its close frame waits behind whatever the
   * client has not read, and Vert.x's closing timeout only starts once that frame is written, so a
   * client that stopped reading (and keeps sending, which defeats the idle timeout) would otherwise
   * keep the socket, and the bytes queued for it, for good. A slow client still reading gets its
   * close frame: nothing new is queued after the close, so the bytes waiting in the channel change
   * between two checks only if the client read some.
   */
  public static void dropAfter(HttpConnection connection, long periodMs) {
    if (!(connection instanceof ConnectionBase base)) return;
    Channel channel = base.channel();
    channel.eventLoop().schedule(new Runnable() {
      private long pending = pendingBytes(channel);

      @Override
      public void run() {
        if (!channel.isOpen()) return;
        long now = pendingBytes(channel);
        if (now != pending) {
          pending = now;
          channel.eventLoop().schedule(this, periodMs, TimeUnit.MILLISECONDS);
        } else {
          // From the head of the pipeline: a close passing Vert.x's handler would again wait for
          // the close frame to be written.
          channel.pipeline().firstContext().close();
        }
      }
    }, periodMs, TimeUnit.MILLISECONDS);
  }

  private static long pendingBytes(Channel channel) {
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    return buffer == null ? 0 : buffer.totalPendingWriteBytes();
  }

  /** Open connections of one client address (for tests and diagnostics). */
  public int openFrom(String address) {
    return open.getOrDefault(address, 0);
  }
}
