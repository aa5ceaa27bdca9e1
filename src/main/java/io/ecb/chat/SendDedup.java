package io.ecb.chat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.ecb.cluster.ClusterMaps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Makes sendMessage idempotent per (userId, threadId, clientMessageId) for a time window, across
 * the cluster: a retry that reaches any node gets the first result instead of a second webhook.
 * The first request marks the key as pending; a retry that arrives while it is still pending gets
 * CONFLICT (retry later); a failed first attempt frees the key so a retry can try again.
 */
public final class SendDedup {

  public static final String MAP = "ecb.dedup";
  private static final String PENDING = "pending";

  private final Vertx vertx;
  private final IMap<String, String> map;
  private final long ttlSeconds;

  public SendDedup(Vertx vertx, HazelcastInstance hazelcast, long ttlSeconds) {
    this.vertx = vertx;
    this.map = hazelcast.getMap(MAP);
    this.ttlSeconds = ttlSeconds;
  }

  public Future<JsonObject> once(String key, Supplier<Future<JsonObject>> action) {
    return ClusterMaps.putIfAbsent(vertx, map, key, PENDING, ttlSeconds)
      .compose(previous -> {
        if (previous == null) {
          return action.get()
            .compose(result -> ClusterMaps.future(vertx,
              map.setAsync(key, result.encode(), ttlSeconds, TimeUnit.SECONDS)).map(v -> result))
            .onFailure(e -> map.removeAsync(key));
        }
        if (PENDING.equals(previous)) {
          return Future.failedFuture(new EcbException(ErrorCode.CONFLICT,
            "a message with this clientMessageId is still being sent; retry shortly"));
        }
        return Future.succeededFuture(new JsonObject(previous));
      });
  }
}
