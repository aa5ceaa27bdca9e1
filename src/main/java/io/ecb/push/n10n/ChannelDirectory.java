package io.ecb.push.n10n;

import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.engine.Engine;
import io.ecb.engine.KeyedState;
import io.vertx.core.Future;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;

/**
 * Where each channel lives and the per-user counts the quotas need, cluster-wide: the engine's
 * keyed state {@code ecb.push.n10n.subjects} (userId → channelId → node, expiry, subscriptions), changed
 * by {@link Quota} on the key's owner. Entries of nodes that left the cluster or past their expiry
 * are ignored and pruned. Every future completes on the calling context.
 */
final class ChannelDirectory {

  static final String SUBJECTS = "ecb.push.n10n.subjects";

  private final Engine cluster;
  final String nodeId;
  private final KeyedState<HashMap<String, String>> subjects;
  private final int channelsPerUser;
  private final int subscriptionsPerUser;

  ChannelDirectory(Engine engine, int channelsPerUser, int subscriptionsPerUser) {
    this.cluster = engine;
    this.nodeId = cluster.nodeId();
    this.subjects = cluster.state(SUBJECTS);
    this.channelsPerUser = channelsPerUser;
    this.subscriptionsPerUser = subscriptionsPerUser;
  }

  /** Records a channel of this node with its subscription count, within the user's quotas. */
  Future<Void> open(String userId, String channelId, long expiresAt, int subscriptions) {
    return quota(userId, new Quota(Quota.OPEN, channelId, nodeId, expiresAt, subscriptions, channelsPerUser, subscriptionsPerUser, liveNodes()));
  }

  /** Changes a channel's subscription count; fails with NOT_FOUND when its entry is gone. */
  Future<Void> set(String userId, String channelId, long expiresAt, int subscriptions) {
    return quota(userId, new Quota(Quota.SET, channelId, nodeId, expiresAt, subscriptions, channelsPerUser, subscriptionsPerUser, liveNodes()));
  }

  /** Removes a channel's entry; until then it counts against the user's quotas. */
  Future<Void> close(String userId, String channelId) {
    return quota(userId, new Quota(Quota.CLOSE, channelId, nodeId, 0, 0, 0, 0, liveNodes()));
  }

  /** The node holding a live channel of this user, or null when there is none. */
  Future<String> nodeOf(String userId, String channelId) {
    return subjects.get(userId).map(map -> {
      String entry = map == null ? null : map.get(channelId);
      Quota.Entry e = entry == null ? null : Quota.Entry.parse(entry);
      return e == null || !e.alive(liveNodes()) ? null : e.nodeId();
    });
  }

  private Set<String> liveNodes() {
    return new HashSet<>(cluster.nodes());
  }

  /**
   * Runs {@code q} on the user's entry; the engine completes on the calling context, so that what follows
   * (a channel's start, its streams, the fanout) stays on the channel's event loop.
   */
  private Future<Void> quota(String userId, Quota q) {
    return subjects.update(userId, q).transform(ar -> {
      if (ar.failed()) return Future.failedFuture(new EcbException(ErrorCode.UNAVAILABLE, "quota check failed; retry"));
      String result = ar.result();
      if (result.equals("ok")) return Future.succeededFuture();
      if (result.equals("missing")) return Future.failedFuture(new EcbException(ErrorCode.NOT_FOUND, "channel does not exist"));
      return Future.failedFuture(new EcbException(ErrorCode.RATE_LIMITED, "quota exceeded: " + result));
    });
  }
}
