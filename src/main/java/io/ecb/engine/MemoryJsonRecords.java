package io.ecb.engine;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** JSON records of a single node, in its heap; a search reads every record. */
public final class MemoryJsonRecords extends MemoryKeyedState<String> implements JsonRecords {

  public MemoryJsonRecords(Vertx vertx) {
    super(vertx);
  }

  @Override
  public Future<Void> index(String... fields) {
    return Future.succeededFuture();
  }

  @Override
  public Future<List<String>> keysWhere(String field, String value) {
    return later(() -> {
      List<String> keys = new ArrayList<>();
      entries().forEach((k, json) -> {
        if (Objects.equals(new JsonObject(json).getValue(field), value)) keys.add(k);
      });
      return keys;
    });
  }

  @Override
  public Future<Integer> size() {
    return later(() -> entries().size());
  }
}
