package io.ecb.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --key=value} command-line options for the benchmark mains. */
final class Args {

  private final Map<String, String> values = new HashMap<>();

  static Args parse(String[] args) {
    Args a = new Args();
    for (String arg : args) {
      if (!arg.startsWith("--")) throw new IllegalArgumentException("expected --key=value, got " + arg);
      int eq = arg.indexOf('=');
      if (eq < 0) a.values.put(arg.substring(2), "true");
      else a.values.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    return a;
  }

  void put(String key, String value) {
    values.put(key, value);
  }

  String get(String key, String def) {
    return values.getOrDefault(key, def);
  }

  int getInt(String key, int def) {
    String v = values.get(key);
    return v == null ? def : Integer.parseInt(v);
  }

  double getDouble(String key, double def) {
    String v = values.get(key);
    return v == null ? def : Double.parseDouble(v);
  }
}
