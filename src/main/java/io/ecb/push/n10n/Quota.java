package io.ecb.push.n10n;

import io.ecb.engine.KeyedState;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The per-user record of channels: channelId → {@code nodeId|expiresAtMillis|subscriptions}.
 * OPEN adds a channel, SET changes its subscription count, CLOSE removes it; each first prunes
 * channels of departed nodes and past their expiry. Returns "ok", "missing", or the quota exceeded.
 */
final class Quota implements KeyedState.Update<HashMap<String, String>, String> {
  private static final long serialVersionUID = 1L;
  static final int OPEN = 0, SET = 1, CLOSE = 2;
  private final int op;
  private final String channelId;
  private final String nodeId;
  private final long expiresAt;
  private final int subscriptions;
  private final int maxChannels;
  private final int maxSubscriptions;
  private final HashSet<String> liveNodes;

  Quota(int op, String channelId, String nodeId, long expiresAt, int subscriptions, int maxChannels, int maxSubscriptions, Set<String> liveNodes) {
    this.op = op;
    this.channelId = channelId;
    this.nodeId = nodeId;
    this.expiresAt = expiresAt;
    this.subscriptions = subscriptions;
    this.maxChannels = maxChannels;
    this.maxSubscriptions = maxSubscriptions;
    this.liveNodes = new HashSet<>(liveNodes);
  }

  record Entry(String nodeId, long expiresAt, int subscriptions) {
    static Entry parse(String s) {
      String[] p = s.split("\\|");
      return new Entry(p[0], Long.parseLong(p[1]), Integer.parseInt(p[2]));
    }

    boolean alive(Set<String> nodes) {
      return nodes.contains(nodeId) && expiresAt > System.currentTimeMillis();
    }

    String encode() {
      return nodeId + "|" + expiresAt + "|" + subscriptions;
    }
  }

  @Override
  public String apply(KeyedState.Entry<HashMap<String, String>> entry) {
    HashMap<String, String> channels = new HashMap<>();
    if (entry.getValue() != null) {
      entry.getValue().forEach((id, v) -> {
        if (Entry.parse(v).alive(liveNodes)) channels.put(id, v);
      });
    }
    String result = "ok";
    switch (op) {
      case OPEN -> {
        int subs = subscriptions;
        for (String v : channels.values()) subs += Entry.parse(v).subscriptions();
        if (channels.size() + 1 > maxChannels) result = "channels per subject";
        else if (subs > maxSubscriptions) result = "subscriptions per subject";
        else channels.put(channelId, new Entry(nodeId, expiresAt, subscriptions).encode());
      }
      case SET -> {
        String current = channels.get(channelId);
        if (current == null) {
          result = "missing";
        } else {
          Entry e = Entry.parse(current);
          int subs = subscriptions;
          for (Map.Entry<String, String> c : channels.entrySet()) {
            if (!c.getKey().equals(channelId)) subs += Entry.parse(c.getValue()).subscriptions();
          }
          if (subscriptions > e.subscriptions() && subs > maxSubscriptions) result = "subscriptions per subject";
          else channels.put(channelId, new Entry(e.nodeId(), e.expiresAt(), subscriptions).encode());
        }
      }
      default -> channels.remove(channelId);
    }
    entry.setValue(channels.isEmpty() ? null : channels);
    return result;
  }
}
