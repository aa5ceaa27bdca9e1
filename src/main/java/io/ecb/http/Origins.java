package io.ecb.http;

import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.List;

/**
 * The browser-origin rule: a request without an {@code Origin} header comes from a non-browser
 * client and passes; one with an Origin passes when it is the server's own origin or listed in
 * {@code http.allowedOrigins} ({@code *} allows any).
 */
public final class Origins {

  private Origins() {
  }

  public static boolean allowed(RoutingContext ctx, List<String> allowedOrigins) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || origin.equals("null") && allowedOrigins.contains("null")) return true;
    if (allowedOrigins.contains("*") || allowedOrigins.contains(origin)) return true;
    return sameOrigin(origin, ctx.request().getHeader("Host"));
  }

  private static boolean sameOrigin(String origin, String host) {
    if (host == null) return false;
    try {
      URI u = URI.create(origin);
      String authority = u.getAuthority();
      if (authority == null) return false;
      if (authority.equalsIgnoreCase(host)) return true;
      // Host may omit the default port the Origin spells out, or the other way round.
      int port = u.getPort() < 0 ? ("https".equals(u.getScheme()) ? 443 : 80) : u.getPort();
      String originHostPort = u.getHost() + ":" + port;
      String hostWithPort = host.contains(":") ? host : host + ":" + ("https".equals(u.getScheme()) ? 443 : 80);
      return originHostPort.equalsIgnoreCase(hostWithPort);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
