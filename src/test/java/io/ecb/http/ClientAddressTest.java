package io.ecb.http;

import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which address {@code http.trustedProxies} makes of a request's peer and forwarding headers: the
 * right-most forwarded address that is not a trusted proxy, and only from a trusted peer.
 */
class ClientAddressTest {

  private static final ClientAddress PROXIES = ClientAddress.trusting(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));
  private static final SocketAddress PROXY = SocketAddress.inetSocketAddress(40000, "10.1.2.3");
  private static final SocketAddress STRANGER = SocketAddress.inetSocketAddress(40000, "203.0.113.9");

  private static String client(SocketAddress peer, String... headers) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < headers.length; i += 2) h.add(headers[i], headers[i + 1]);
    return PROXIES.resolve(peer, h).hostAddress();
  }

  @Test
  void fromATrustedPeerTheRightMostUntrustedForwardedAddressIsTheClient() {
    assertThat(client(PROXY, "X-Forwarded-For", "198.51.100.1")).isEqualTo("198.51.100.1");
    // A client-written entry on the left, then the client as the proxy saw it, then a second proxy.
    assertThat(client(PROXY, "X-Forwarded-For", "1.1.1.1, 198.51.100.1, 10.9.9.9")).isEqualTo("198.51.100.1");
    assertThat(client(PROXY, "X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "198.51.100.1")).isEqualTo("198.51.100.1");
    assertThat(client(PROXY, "x-forwarded-for", "198.51.100.1:5555")).isEqualTo("198.51.100.1");
    assertThat(client(PROXY, "X-Forwarded-For", "[2001:db8::1]:5555")).isEqualTo("2001:db8:0:0:0:0:0:1");
    assertThat(client(PROXY, "X-Forwarded-For", "::ffff:198.51.100.1")).isEqualTo("198.51.100.1");
    // Every hop trusted: the left-most is as far as anyone can tell.
    assertThat(client(PROXY, "X-Forwarded-For", "10.4.4.4, 192.168.1.7")).isEqualTo("10.4.4.4");
  }

  @Test
  void forwardedIsReadTheSameWayWhenThereIsNoXForwardedFor() {
    assertThat(client(PROXY, "Forwarded", "for=1.1.1.1;proto=http, for=\"[2001:db8:cafe::17]:4711\";by=10.0.0.1"))
      .isEqualTo("2001:db8:cafe:0:0:0:0:17");
    assertThat(client(PROXY, "Forwarded", "For=198.51.100.2, for=10.3.3.3")).isEqualTo("198.51.100.2");
    assertThat(client(PROXY, "Forwarded", "for=1.1.1.1", "X-Forwarded-For", "198.51.100.3")).isEqualTo("198.51.100.3");
  }

  @Test
  void anEntryThatIsNoAddressStopsAtTheHopThatReportedIt() {
    assertThat(client(PROXY, "X-Forwarded-For", "198.51.100.1, unknown, 10.7.7.7")).isEqualTo("10.7.7.7");
    assertThat(client(PROXY, "Forwarded", "for=_hidden")).isEqualTo("10.1.2.3");
    assertThat(client(PROXY, "X-Forwarded-For", "localhost")).isEqualTo("10.1.2.3");
    assertThat(client(PROXY, "X-Forwarded-For", "")).isEqualTo("10.1.2.3");
    assertThat(client(PROXY)).isEqualTo("10.1.2.3");
  }

  @Test
  void anUntrustedPeerCannotNameAnotherAddress() {
    assertThat(client(STRANGER, "X-Forwarded-For", "198.51.100.1")).isEqualTo("203.0.113.9");
    assertThat(client(STRANGER, "Forwarded", "for=198.51.100.1")).isEqualTo("203.0.113.9");
    assertThat(ClientAddress.trusting(List.of()).resolve(PROXY, MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-For", "198.51.100.1"))
      .hostAddress()).isEqualTo("10.1.2.3");
  }

  @Test
  void cidrBlocksMatchByPrefix() {
    assertThat(PROXIES.isTrustedProxy(SocketAddress.inetSocketAddress(1, "10.255.0.1"))).isTrue();
    assertThat(PROXIES.isTrustedProxy(SocketAddress.inetSocketAddress(1, "11.0.0.1"))).isFalse();
    assertThat(PROXIES.isTrustedProxy(SocketAddress.inetSocketAddress(1, "192.168.1.7"))).isTrue();
    assertThat(PROXIES.isTrustedProxy(SocketAddress.inetSocketAddress(1, "192.168.1.8"))).isFalse();
    assertThat(PROXIES.isTrustedProxy(SocketAddress.inetSocketAddress(1, "fd12::1"))).isTrue();
    assertThat(PROXIES.isTrustedProxy(SocketAddress.inetSocketAddress(1, "fe80::1"))).isFalse();
    assertThat(ClientAddress.trusting(List.of("172.16.0.0/12")).isTrustedProxy(SocketAddress.inetSocketAddress(1, "172.31.255.255"))).isTrue();
    assertThat(ClientAddress.trusting(List.of("172.16.0.0/12")).isTrustedProxy(SocketAddress.inetSocketAddress(1, "172.32.0.1"))).isFalse();
  }

  @Test
  void aBadEntryIsRefusedByName() {
    assertThatThrownBy(() -> ClientAddress.trusting(List.of("ingress.local"))).hasMessageContaining("\"ingress.local\"");
    assertThatThrownBy(() -> ClientAddress.trusting(List.of("10.0.0.0/33"))).hasMessageContaining("prefix length");
    assertThatThrownBy(() -> ClientAddress.trusting(List.of("10.0.0.0/x"))).hasMessageContaining("prefix length");
  }
}
