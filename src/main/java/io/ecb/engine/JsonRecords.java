package io.ecb.engine;

import io.vertx.core.Future;

import java.util.List;

/** Keyed state whose values are JSON objects, found by the value of a top-level field. */
public interface JsonRecords extends KeyedState<String> {

  /** Makes {@link #keysWhere} on these fields cheap (idempotent). */
  Future<Void> index(String... fields);

  /** The keys whose value has {@code field} equal to {@code value}. */
  Future<List<String>> keysWhere(String field, String value);

  /** How many keys have a value, cluster-wide. */
  Future<Integer> size();
}
