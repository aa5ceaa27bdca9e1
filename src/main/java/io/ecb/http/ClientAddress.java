package io.ecb.http;

import io.netty.util.NetUtil;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The client address of an HTTP request, for everything keyed by client address (the limit on
 * failed token checks, and what a socket opened by the request is charged against). It is the TCP
 * peer, unless the peer is one of {@code http.trustedProxies}: then it is read from the forwarding
 * headers that proxy added, so that one client behind an Ingress cannot spend every other
 * client's budget.
 *
 * <p>From a trusted peer, {@code X-Forwarded-For} is read from the right: each proxy appends the
 * address it received the request from, so the right-most entry that is not itself a trusted
 * proxy is the client; anything left of it was written by that client and is ignored (as nginx's
 * {@code real_ip_recursive} and Spring's {@code ForwardedHeaderFilter} do). Without an
 * {@code X-Forwarded-For}, the {@code for=} parameters of {@code Forwarded} (RFC 7239) are read the
 * same way. An entry that is no IP address ({@code unknown}, an obfuscated {@code _name}) stops the
 * walk at the trusted hop that reported it. From any other peer, both headers are ignored: a client
 * must not choose its own address.
 *
 * <p>Vert.x Web's {@code Router.allowForward} is not used: it honours these headers from any peer
 * and takes the left-most entry, the one a client writes itself.
 */
public final class ClientAddress {

  private static final String KEY = ClientAddress.class.getName();

  /** One trusted network: {@code bits} leading bits of {@code network}. */
  private record Cidr(byte[] network, int bits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) return false;
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) return false;
      }
      int rest = bits % 8;
      if (rest == 0) return true;
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Cidr> trusted;

  private ClientAddress(List<Cidr> trusted) {
    this.trusted = trusted;
  }

  /**
   * Trusts the proxies in {@code proxies}: IP addresses or CIDR blocks ({@code 10.0.0.0/8},
   * {@code fd00::/8}); empty trusts none.
   *
   * @throws IllegalArgumentException naming the first entry that is neither
   */
  public static ClientAddress trusting(List<String> proxies) {
    List<Cidr> cidrs = new ArrayList<>();
    for (String p : proxies) cidrs.add(cidr(p.trim()));
    return new ClientAddress(List.copyOf(cidrs));
  }

  private static Cidr cidr(String entry) {
    int slash = entry.indexOf('/');
    byte[] ip = ip(slash < 0 ? entry : entry.substring(0, slash));
    if (ip == null) throw new IllegalArgumentException("http.trustedProxies: \"" + entry + "\" is not an IP address or CIDR block");
    int bits = ip.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (bits < 0 || bits > ip.length * 8) {
        throw new IllegalArgumentException("http.trustedProxies: \"" + entry + "\" has a bad prefix length");
      }
    }
    return new Cidr(ip, bits);
  }

  /** Whether {@code peer} is a trusted proxy. */
  public boolean isTrustedProxy(SocketAddress peer) {
    if (trusted.isEmpty() || peer == null) return false;
    byte[] ip = ip(peer.hostAddress());
    return ip != null && isTrusted(ip);
  }

  private boolean isTrusted(byte[] ip) {
    for (Cidr c : trusted) {
      if (c.contains(ip)) return true;
    }
    return false;
  }

  /** Whether any proxy is trusted: without one, every request's client address is its TCP peer. */
  public boolean trustsProxies() {
    return !trusted.isEmpty();
  }

  /** The client address of {@code request} (see the class comment). */
  public SocketAddress resolve(HttpServerRequest request) {
    return resolve(peer(request), request.headers());
  }

  /**
   * The TCP peer, from the connection: Vert.x Web's request wrapper would compute its forwarding
   * information (scheme, host, address) for every request that asked.
   */
  private static SocketAddress peer(HttpServerRequest request) {
    return request.connection().remoteAddress();
  }

  /** The client address of a request from {@code peer} carrying {@code headers}. */
  public SocketAddress resolve(SocketAddress peer, MultiMap headers) {
    if (!isTrustedProxy(peer)) return peer;
    List<String> hops = headers.contains("X-Forwarded-For") ? xForwardedFor(headers.getAll("X-Forwarded-For"))
      : forwardedFor(headers.getAll("Forwarded"));
    byte[] client = null;
    for (int i = hops.size() - 1; i >= 0; i--) {
      byte[] hop = ip(stripPort(hops.get(i)));
      if (hop == null) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    if (client == null) return peer;
    try {
      return SocketAddress.inetSocketAddress(new InetSocketAddress(InetAddress.getByAddress(client), 0));
    } catch (UnknownHostException e) {
      return peer; // not reached: the address has 4 or 16 bytes
    }
  }

  /**
   * The router's first handler where a proxy is trusted: notes every request's client address for
   * {@link #of}, before any other handler needs it.
   */
  public Handler<RoutingContext> handler() {
    return ctx -> {
      ctx.put(KEY, resolve(ctx.request()));
      ctx.next();
    };
  }

  /**
   * The client address of the request {@code ctx} routes, as {@link #handler} noted it; the TCP
   * peer where the handler did not run (a router without it trusts no proxy).
   */
  public static SocketAddress of(RoutingContext ctx) {
    SocketAddress noted = ctx.get(KEY);
    return noted != null ? noted : peer(ctx.request());
  }

  // ---- parsing

  /** Every header line's entries, in order: several lines are one comma-separated list. */
  private static List<String> xForwardedFor(List<String> lines) {
    List<String> hops = new ArrayList<>();
    for (String line : lines) {
      for (String entry : line.split(",")) hops.add(entry.trim());
    }
    return hops;
  }

  /** The {@code for=} value of each element of {@code Forwarded}, in order ("" where an element has none). */
  private static List<String> forwardedFor(List<String> lines) {
    List<String> hops = new ArrayList<>();
    for (String line : lines) {
      for (String element : split(line, ',')) {
        String value = "";
        for (String pair : split(element, ';')) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase("for")) value = unquote(pair.substring(eq + 1).trim());
        }
        hops.add(value);
      }
    }
    return hops;
  }

  /** Splits at {@code sep} outside quoted strings. */
  private static List<String> split(String text, char sep) {
    List<String> parts = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && quoted) i++;
      else if (c == '"') quoted = !quoted;
      else if (c == sep && !quoted) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(text.substring(start));
    return parts;
  }

  private static String unquote(String value) {
    if (value.length() < 2 || value.charAt(0) != '"' || value.charAt(value.length() - 1) != '"') return value;
    return value.substring(1, value.length() - 1).replaceAll("\\\\(.)", "$1");
  }

  /** {@code [v6]:port} → {@code v6}, {@code v4:port} → {@code v4}; a bare address as it is. */
  private static String stripPort(String hop) {
    if (hop.startsWith("[")) {
      int end = hop.indexOf(']');
      return end < 0 ? hop : hop.substring(1, end);
    }
    int colon = hop.indexOf(':');
    return colon > 0 && hop.indexOf(':', colon + 1) < 0 ? hop.substring(0, colon) : hop;
  }

  /**
   * The bytes of an IP literal (an IPv4-mapped IPv6 address as IPv4), or null when {@code text} is
   * none: never a name lookup, whatever a header holds.
   */
  static byte[] ip(String text) {
    if (text == null || text.isEmpty()) return null;
    byte[] b = NetUtil.createByteArrayFromIpAddressString(text);
    if (b == null || b.length != 16) return b;
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) return b;
    }
    if (b[10] != (byte) 0xff || b[11] != (byte) 0xff) return b;
    return new byte[] {b[12], b[13], b[14], b[15]};
  }
}
