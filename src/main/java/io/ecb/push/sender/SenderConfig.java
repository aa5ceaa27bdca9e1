package io.ecb.push.sender;

import io.vertx.core.json.JsonObject;

/**
 * Settings of the Channel Sender profile, from {@code push.channelSender} (defaults in
 * ecb-defaults.json; each can be overridden like every key, e.g. {@code ECB_PUSH_CHANNEL_SENDER_OPEN}).
 *
 * @param open               REST calls need no publisher API key (the original had no auth)
 * @param secret             server secret signing channel secrets; empty = derived (see ClusterSecrets)
 * @param maxAgeSeconds      life of a channel secret
 * @param authTimeoutSeconds time a WebSocket has to send {@code Auth::}
 * @param initialRedeliveryMs first redelivery of an unacked message
 * @param maxRedeliveryMs    cap of the doubling redelivery delay
 * @param maxRedeliveries    redeliveries before a message is dropped
 * @param maxPending         messages kept per channel (oldest evicted)
 * @param batchLimit         messages of a deliver_batch that are processed
 * @param channelTtlSeconds  a channel and its queue expire after this long without activity
 * @param resyncMs           how often a connection re-reads its queue (repairs delivery races)
 * @param maxBodyBytes       REST request body limit
 */
record SenderConfig(boolean open, String secret, long maxAgeSeconds, long authTimeoutSeconds,
                    long initialRedeliveryMs, long maxRedeliveryMs, int maxRedeliveries, int maxPending,
                    int batchLimit, long channelTtlSeconds, long resyncMs, int maxBodyBytes) {

  static SenderConfig from(JsonObject root) {
    JsonObject push = root.getJsonObject("push");
    JsonObject c = push == null ? null : push.getJsonObject("channelSender");
    if (c == null) c = new JsonObject();
    return new SenderConfig(
      bool(c.getValue("open")),
      c.getString("secret", ""),
      num(c, "maxAgeSeconds", 900),
      num(c, "authTimeoutSeconds", 10),
      num(c, "initialRedeliveryMs", 1000),
      num(c, "maxRedeliveryMs", 3000),
      (int) num(c, "maxRedeliveries", 20),
      (int) num(c, "maxPending", 100),
      (int) num(c, "batchLimit", 10),
      num(c, "channelTtlSeconds", 3600),
      num(c, "resyncMs", 5000),
      (int) num(c, "maxBodyBytes", 1048576));
  }

  /** Environment overrides arrive as strings; accept both forms. */
  private static long num(JsonObject c, String key, long def) {
    Object v = c.getValue(key);
    if (v instanceof Number n) return n.longValue();
    if (v instanceof String s && !s.isBlank()) return Long.parseLong(s.trim());
    return def;
  }

  private static boolean bool(Object v) {
    return v instanceof Boolean b ? b : v instanceof String s && Boolean.parseBoolean(s.trim());
  }
}
