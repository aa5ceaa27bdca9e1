package io.ecb.support;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Splits an SSE response, chunk by chunk, into its events (blocks ended by a blank line). */
public final class SseParser {

  /** One block: its {@code event:}, {@code id:}, {@code data:} (lines joined by \n) and {@code :} comment, each null when absent. */
  public record Event(String event, String id, String data, String comment) {
  }

  private final StringBuilder pending = new StringBuilder();
  private final Consumer<Event> sink;

  public SseParser(Consumer<Event> sink) {
    this.sink = sink;
  }

  public synchronized void feed(Buffer chunk) {
    pending.append(chunk.toString(StandardCharsets.UTF_8));
    int end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      String block = pending.substring(0, end);
      pending.delete(0, end + 2);
      String event = null;
      String id = null;
      String comment = null;
      StringBuilder data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith(":")) comment = line.substring(1).trim();
        else if (line.startsWith("event:")) event = line.substring(6).trim();
        else if (line.startsWith("id:")) id = line.substring(3).trim();
        else if (line.startsWith("data:")) {
          if (data == null) data = new StringBuilder();
          else data.append('\n');
          data.append(line.substring(5).trim());
        }
      }
      sink.accept(new Event(event, id, data == null ? null : data.toString(), comment));
    }
  }
}
