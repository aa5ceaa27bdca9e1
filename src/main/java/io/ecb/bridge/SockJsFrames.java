package io.ecb.bridge;

import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.List;

/** Decodes what a SockJS client sends over WebSocket: a JSON array of strings, or one JSON string. */
final class SockJsFrames {

  private SockJsFrames() {
  }

  /** The messages in {@code text}; empty for an empty frame; null when it is not SockJS framing. */
  static List<String> decode(String text) {
    if (text.isEmpty()) return List.of();
    try {
      if (text.startsWith("[")) {
        JsonArray a = new JsonArray(text);
        List<String> out = new ArrayList<>(a.size());
        for (Object o : a) {
          if (!(o instanceof String s)) return null;
          out.add(s);
        }
        return out;
      }
      if (text.startsWith("\"")) {
        Object v = io.vertx.core.json.Json.decodeValue(text);
        return v instanceof String s ? List.of(s) : null;
      }
    } catch (RuntimeException e) {
      return null;
    }
    return null;
  }
}
