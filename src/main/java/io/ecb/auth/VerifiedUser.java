package io.ecb.auth;

/**
 * A userToken ({@code token}) verified for a connection that presents it for its whole life (a Socket.IO
 * {@code /chat} socket, an SSE stream). The connection's later subscriptions ask only whether it
 * is still valid ({@link TokenVerifier#stillValid}) rather than check its signature again: that
 * check is the largest part of what a connection's handshake costs.
 *
 * @param validUntilMillis the token's {@code exp} plus the clock skew
 * @param keys the verifier's key generation it was checked with: new JWKS keys end its validity
 */
public record VerifiedUser(String token, ChatUser user, long validUntilMillis, long keys) {
}
