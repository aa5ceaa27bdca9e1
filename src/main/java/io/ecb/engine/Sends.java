package io.ecb.engine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * One owner's send records, oldest first: the state behind {@link OnceStore#begin} and
 * {@link OnceStore#finish}, whichever store keeps it. Deterministic (the caller supplies the time),
 * as a clustered store replays each change on its backup copy.
 */
public class Sends {

  /** One send: when it was marked, and its record once it succeeded (null while pending). */
  public record Slot(long time, String record) {
  }

  protected final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>();

  /** Marks a send as pending unless it is known; see {@link OnceStore#begin}. */
  public String begin(String key, long now, long ttlSeconds, int max) {
    expire(now - ttlSeconds * 1000);
    Slot known = slots.get(key);
    if (known != null) return known.record() == null ? OnceStore.PENDING : known.record();
    if (!makeRoom(max)) return OnceStore.FULL;
    slots.put(key, new Slot(now, null));
    return null;
  }

  /** Stores a send's record (the window restarts), or with a null record frees the key. */
  public void finish(String key, String record, long now) {
    if (record == null) {
      slots.remove(key);
    } else {
      // Keeps its place among the owner's sends (LinkedHashMap), so eviction stays oldest first.
      slots.put(key, new Slot(now, record));
    }
  }

  public boolean isEmpty() {
    return slots.isEmpty();
  }

  public List<String> records() {
    List<String> out = new ArrayList<>();
    slots.values().forEach(s -> out.add(s.record() == null ? OnceStore.PENDING : s.record()));
    return out;
  }

  /** Drops what is older than the window; the window starts when a send is marked or completed. */
  private void expire(long oldest) {
    slots.values().removeIf(s -> s.time() < oldest);
  }

  /** Makes room for one more send: drops the oldest completed record; false when all are pending. */
  private boolean makeRoom(int max) {
    for (Iterator<Slot> it = slots.values().iterator(); slots.size() >= max && it.hasNext(); ) {
      if (it.next().record() != null) it.remove();
    }
    return slots.size() < max;
  }
}
