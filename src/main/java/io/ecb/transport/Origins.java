package io.ecb.transport;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The browser-origin rule: a request without an {@code Origin} header comes from a non-browser
 * client and passes; one with an Origin passes when it is the server's own origin or listed in
 * {@code http.allowedOrigins} ({@code *} allows any). The list only adds origins: the own origin
 * is accepted whatever it holds.
 *
 * <p>The own origin is the scheme and {@code Host} the request came to. On a TLS connection the
 * Origin must be https; on a plain one either scheme matches, because behind a TLS-terminating
 * proxy the node cannot tell what the browser used (ECB honours no X-Forwarded-* header, which
 * anyone could send). Host and port are compared exactly, a missing port being the scheme's default.
 */
public final class Origins {

  private Origins() {
  }

  /**
   * Puts the rule in front of {@code path}'s handlers: a request from an origin it does not allow
   * gets {@code refuse}; one from a listed origin gets CORS ({@link #cors}) when the list is not empty.
   */
  public static void guard(Router router, String path, List<String> allowedOrigins, Set<HttpMethod> methods, Set<String> headers,
                           Handler<RoutingContext> refuse) {
    router.route(path).handler(ctx -> {
      if (allowed(ctx, allowedOrigins)) ctx.next();
      else refuse.handle(ctx);
    });
    if (!allowedOrigins.isEmpty()) router.route(path).handler(cors(allowedOrigins, methods, headers));
  }

  public static boolean allowed(RoutingContext ctx, List<String> allowedOrigins) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || origin.equals("null") && allowedOrigins.contains("null")) return true;
    if (allowedOrigins.contains("*") || allowedOrigins.contains(origin)) return true;
    return isOwn(ctx, origin);
  }

  /** Whether the request's Origin header names the origin the request came to. */
  static boolean isOwn(RoutingContext ctx, String origin) {
    return ownOrigin(origin, ctx.request().getHeader("Host"), ctx.request().isSSL());
  }

  /**
   * CORS for the origins of {@code allowedOrigins} (non-empty): preflights answered and responses
   * given CORS headers, with {@code methods} and {@code headers} allowed, no credentials. A request
   * from the own origin needs no CORS and goes straight on (Vert.x's CorsHandler would refuse it,
   * not being in the list); one without an Origin too. Mount it after the {@link #allowed} check.
   */
  public static Handler<RoutingContext> cors(List<String> allowedOrigins, Set<HttpMethod> methods, Set<String> headers) {
    CorsHandler cors = CorsHandler.create()
      .allowedMethods(methods)
      .allowedHeaders(headers)
      .allowCredentials(false);
    allowedOrigins.forEach(o -> {
      if (o.equals("*")) cors.addOriginWithRegex(".*");
      else cors.addOrigin(o);
    });
    return ctx -> {
      String origin = ctx.request().getHeader("Origin");
      if (origin == null || isOwn(ctx, origin)) ctx.next();
      else cors.handle(ctx);
    };
  }

  /**
   * Whether {@code origin} (scheme://host[:port]) is the origin of a request with Host header
   * {@code host} that came over TLS or not.
   */
  static boolean ownOrigin(String origin, String host, boolean tls) {
    if (host == null || host.isEmpty()) return false;
    URI u;
    try {
      u = new URI(origin);
    } catch (java.net.URISyntaxException e) {
      return false;
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && (tls || !scheme.equals("http"))) return false;
    if (u.getHost() == null || u.getRawUserInfo() != null || u.getRawPath() != null && !u.getRawPath().isEmpty()
      || u.getRawQuery() != null || u.getRawFragment() != null) {
      return false;
    }
    int defaultPort = scheme.equals("https") ? 443 : 80;
    int originPort = u.getPort() < 0 ? defaultPort : u.getPort();

    // Host: name, IPv4 or [IPv6], then an optional :port.
    String hostName;
    String portText;
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      if (end < 0) return false;
      hostName = host.substring(0, end + 1);
      String rest = host.substring(end + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) return false;
      portText = rest.isEmpty() ? null : rest.substring(1);
    } else {
      int colon = host.indexOf(':');
      hostName = colon < 0 ? host : host.substring(0, colon);
      portText = colon < 0 ? null : host.substring(colon + 1);
    }
    int hostPort;
    try {
      hostPort = portText == null ? defaultPort : Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      return false;
    }
    return u.getHost().equalsIgnoreCase(hostName) && originPort == hostPort;
  }
}
