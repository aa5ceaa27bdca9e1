package io.ecb.push.sender;

import io.ecb.config.EcbConfig;

/**
 * Settings of the Channel Sender profile, from {@code push.channelSender} ({@link EcbConfig.ChannelSender};
 * defaults in ecb-defaults.json; each can be overridden like every key, e.g.
 * {@code ECB_PUSH_CHANNEL_SENDER_OPEN}).
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

  static SenderConfig from(EcbConfig.ChannelSender c) {
    return new SenderConfig(c.open, c.secret == null ? "" : c.secret, c.maxAgeSeconds, c.authTimeoutSeconds,
      c.initialRedeliveryMs, c.maxRedeliveryMs, c.maxRedeliveries, c.maxPending,
      c.batchLimit, c.channelTtlSeconds, c.resyncMs, c.maxBodyBytes);
  }
}
