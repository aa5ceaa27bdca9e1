package io.ecb.cluster;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import io.ecb.engine.StreamLog;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The byte-packed history against a plain deque of the same payloads: appends of every size (so
 * the array grows, compacts and shrinks), trimming by count and by age, reads, and the copy
 * Hazelcast makes for backups and migrations.
 */
class StreamHistoryTest {

  private record Entry(long offset, long time, String json) {
  }

  @Test
  void keepsWhatADequeKeeps() {
    Random random = new Random(7);
    StreamHistory history = new StreamHistory("e1");
    ArrayDeque<Entry> model = new ArrayDeque<>();
    int maxSize = 50;
    long ttl = 1_000;
    for (int i = 1; i <= 5_000; i++) {
      long now = i * 10L;
      // Mostly small payloads, some large, some multi-byte, so the array has to resize both ways.
      int length = i % 1000 < 100 ? 2_000 + random.nextInt(4_000) : random.nextInt(200);
      String json = "{\"n\":" + i + ",\"t\":\"" + "é€😀x".repeat(length / 5 + 1) + "\"}";
      history.lastOffset = i;
      history.add(i, now, json);
      model.addLast(new Entry(i, now, json));
      int size = i % 700 < 50 ? 5 : maxSize;
      history.trim(size, now - ttl);
      while (!model.isEmpty() && (model.size() > size || model.peekFirst().time() < now - ttl)) model.pollFirst();

      assertEquals(model.size(), history.size());
      long since = model.peekFirst().offset() - 1 + random.nextInt(model.size());
      // Compared with equals rather than assertEquals: a failure would print megabytes of payload.
      List<String> expected = jsonAfter(model, since);
      assertTrue(expected.equals(history.after(since, now - ttl)), "after " + since + " at " + i);
      assertTrue(expected.equals(history.held(since, now - ttl).stream().map(StreamLog.Appended::json).toList()),
        "held after " + since + " at " + i);
    }
  }

  @Test
  void afterIsNullWhenTheGapIsNoLongerHeld() {
    StreamHistory history = new StreamHistory("e1");
    for (int i = 1; i <= 10; i++) {
      history.lastOffset = i;
      history.add(i, i, "{\"n\":" + i + "}");
    }
    history.trim(5, 0);
    assertNull(history.after(3, 0));
    assertEquals(List.of("{\"n\":9}", "{\"n\":10}"), history.after(8, 0));
    assertNull(history.after(8, 10), "entry 9 is past its age");
    assertEquals(List.of("{\"n\":10}"), history.held(8, 10).stream().map(StreamLog.Appended::json).toList());
  }

  @Test
  void hazelcastCopyHoldsTheSamePayloads() {
    StreamHistory history = new StreamHistory("e1");
    for (int i = 1; i <= 20; i++) {
      history.lastOffset = i;
      history.add(i, i * 100L, "{\"n\":" + i + ",\"s\":\"ü😀\"}");
    }
    history.trim(12, 0);
    InternalSerializationService serialization = new DefaultSerializationServiceBuilder().build();
    StreamHistory copy = serialization.toObject(serialization.toData(history));
    assertEquals("e1", copy.epoch);
    assertEquals(20, copy.lastOffset);
    assertEquals(history.after(8, 0), copy.after(8, 0));
    assertEquals(12, copy.after(8, 0).size());
    assertEquals(history.after(8, 1_500), copy.after(8, 1_500));
  }

  private static List<String> jsonAfter(ArrayDeque<Entry> model, long since) {
    return model.stream().filter(e -> e.offset() > since).map(Entry::json).collect(Collectors.toList());
  }
}
