package io.ecb.auth;

import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Who presents a token: the client's address and, for a socket that carries many requests (the
 * bridge, Socket.IO), that connection's own budget of failed token checks and what to do when it
 * runs out (close the connection). Every check of a client-supplied token names its caller, so
 * that {@link FailedChecks} can refuse a flood of bad tokens before any signature work.
 *
 * <p>Make one per connection with {@link #connection} (when the connection opens) and pass it to
 * every {@code ChatService} call of that connection; an HTTP request makes one with
 * {@link #request}. Tokens that the customer backend hands back are checked as {@link #BACKEND}.
 * The address given is the client's as {@code io.ecb.http.ClientAddress} resolves it from the
 * request (or the upgrade request of a socket), which behind a trusted proxy is not the TCP peer.
 */
public final class Caller {

  /** Tokens ECB checks on its own behalf (those the customer backend returns): never limited. */
  public static final Caller BACKEND = new Caller(null, false, null);

  /** The limiter's key for the client address: the IPv4 address, or the /64 of an IPv6 one. */
  final String addressKey;
  /** This connection's failed checks; null for a single request. */
  final FailedChecks.Bucket connection;
  private final Runnable onConnectionLimit;
  private final AtomicBoolean limitReached = new AtomicBoolean();

  private Caller(String addressKey, boolean connection, Runnable onConnectionLimit) {
    this.addressKey = addressKey;
    this.connection = connection ? new FailedChecks.Bucket() : null;
    this.onConnectionLimit = onConnectionLimit;
  }

  /** One HTTP request (or an SSE stream) from {@code remote}: limited per address. */
  public static Caller request(SocketAddress remote) {
    return new Caller(addressKey(remote), false, null);
  }

  /**
   * A connection from {@code remote}: limited per address and per connection. When the
   * connection's own budget runs out, {@code onLimit} runs, once (on whatever thread checked the
   * token), and should close the connection; the check itself fails RATE_LIMITED.
   */
  public static Caller connection(SocketAddress remote, Runnable onLimit) {
    return new Caller(addressKey(remote), true, onLimit);
  }

  boolean limited() {
    return addressKey != null;
  }

  /** Tells the connection once: it is closing, and later refusals need not say so again. */
  void connectionLimitReached() {
    if (onConnectionLimit != null && limitReached.compareAndSet(false, true)) onConnectionLimit.run();
  }

  /**
   * IPv6 clients usually hold a whole /64, so counting per IPv6 address would give one client
   * 2^64 budgets; the /64 is what they are charged against instead.
   */
  static String addressKey(SocketAddress remote) {
    String host = remote == null ? null : remote.hostAddress();
    if (host == null || host.isEmpty()) return remote == null || remote.path() == null ? "unknown" : "local";
    if (host.indexOf(':') < 0) return host;
    try {
      // An IP literal: parsed, never looked up.
      byte[] b = InetAddress.getByName(host).getAddress();
      if (b.length == 4) return InetAddress.getByAddress(b).getHostAddress(); // IPv4-mapped
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 8; i += 2) sb.append(String.format("%02x%02x:", b[i], b[i + 1]));
      return sb.append(":/64").toString();
    } catch (UnknownHostException e) {
      return host;
    }
  }

  @Override
  public String toString() {
    return addressKey == null ? "backend" : addressKey + (connection != null ? " (connection)" : "");
  }
}
