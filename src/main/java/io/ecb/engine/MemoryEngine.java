package io.ecb.engine;

import io.ecb.config.EcbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The engine of a single node without a cluster: everything in its heap, nothing to back up. */
public final class MemoryEngine implements Engine {

  private final Vertx vertx;
  private final String nodeId = UUID.randomUUID().toString();
  private final StreamLog streams;
  private final OnceStore once;
  private final Presence presence;
  private final ConcurrentHashMap<String, KeyedState<?>> states = new ConcurrentHashMap<>();

  public MemoryEngine(Vertx vertx, EcbConfig.History history) {
    this.vertx = vertx;
    this.streams = new MemoryStreamLog(vertx, history);
    this.once = new MemoryOnceStore(vertx);
    this.presence = new MemoryPresence(vertx);
  }

  @Override
  public StreamLog streams() {
    return streams;
  }

  @Override
  public OnceStore once() {
    return once;
  }

  @Override
  public Presence presence() {
    return presence;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <V> KeyedState<V> state(String name) {
    return (KeyedState<V>) states.computeIfAbsent(name, n -> new MemoryKeyedState<>(vertx));
  }

  @Override
  public JsonRecords records(String name) {
    return (JsonRecords) states.computeIfAbsent(name, n -> new MemoryJsonRecords(vertx));
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public List<String> nodes() {
    return List.of(nodeId);
  }

  @Override
  public Future<Boolean> safe() {
    return Future.succeededFuture(true);
  }
}
