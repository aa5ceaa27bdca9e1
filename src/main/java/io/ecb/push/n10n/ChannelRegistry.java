package io.ecb.push.n10n;

import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The channels of this node: by id for forwarded changes, counted against {@code channelsPerNode}
 * from the moment one is asked for, and ticked by the heartbeat.
 */
final class ChannelRegistry {

  private final Vertx vertx;
  private final int channelsPerNode;
  private final Map<String, Channel> channels = new ConcurrentHashMap<>();
  private final AtomicInteger reserved = new AtomicInteger();
  private final AtomicLong heartbeatOffset = new AtomicLong();
  private final long heartbeatMs;
  private long heartbeatTimer = -1;

  ChannelRegistry(Vertx vertx, int channelsPerNode, long heartbeatSeconds) {
    this.vertx = vertx;
    this.channelsPerNode = channelsPerNode;
    this.heartbeatMs = heartbeatSeconds * 1000;
  }

  /** Starts the heartbeat. */
  void start() {
    heartbeatTimer = vertx.setPeriodic(heartbeatMs, id -> heartbeat());
  }

  /** Takes a place for a new channel; false when the node has none left. */
  boolean reserve() {
    if (reserved.incrementAndGet() > channelsPerNode) {
      reserved.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Gives back a place taken by {@link #reserve} for a channel that did not open. */
  void release() {
    reserved.decrementAndGet();
  }

  void add(Channel c) {
    channels.put(c.channelId, c);
  }

  /** Forgets a channel and gives back its place. */
  void remove(Channel c) {
    if (channels.remove(c.channelId, c)) reserved.decrementAndGet();
  }

  Channel get(String channelId) {
    return channels.get(channelId);
  }

  int size() {
    return channels.size();
  }

  /** Ends every channel (clients reconnect elsewhere) and stops the heartbeat. */
  void close() {
    vertx.cancelTimer(heartbeatTimer);
    new ArrayList<>(channels.values()).forEach(Channel::end);
  }

  private void heartbeat() {
    long offset = heartbeatOffset.incrementAndGet();
    for (Channel c : channels.values()) c.heartbeat(offset);
  }
}
