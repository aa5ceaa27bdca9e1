package io.ecb.cluster;

import io.ecb.engine.Engine;
import io.ecb.engine.JsonRecords;
import io.ecb.engine.KeyedState;
import io.ecb.engine.KeyedStateContract;
import io.ecb.engine.OnceStore;
import io.ecb.engine.StreamLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

/** The keyed state contract, held by Hazelcast maps through entry processors. */
class HazelcastKeyedStateTest extends KeyedStateContract {

  @RegisterExtension
  static final LoneHazelcast hazelcast = new LoneHazelcast();

  @Override
  protected Engine create(Vertx vertx) {
    // Only the keyed state is under test: HazelcastEngine needs a clustered Vert.x for the rest.
    return new Engine() {
      @Override
      public StreamLog streams() {
        throw new UnsupportedOperationException();
      }

      @Override
      public OnceStore once() {
        throw new UnsupportedOperationException();
      }

      @Override
      public <V> KeyedState<V> state(String name) {
        return new HazelcastKeyedState<>(vertx, hazelcast.instance().getMap(name));
      }

      @Override
      public JsonRecords records(String name) {
        return new HazelcastJsonRecords(vertx, hazelcast.instance().getMap(name));
      }

      @Override
      public String nodeId() {
        throw new UnsupportedOperationException();
      }

      @Override
      public List<String> nodes() {
        throw new UnsupportedOperationException();
      }

      @Override
      public Future<Boolean> safe() {
        throw new UnsupportedOperationException();
      }
    };
  }
}
