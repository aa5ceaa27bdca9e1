package io.ecb.delivery;

/** Permission for one connection to follow one stream, as the user a token proved it to be. */
public record StreamGrant(String stream, String userId) {
}
