package io.ecb.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds the effective configuration: the defaults shipped in the jar ({@code ecb-defaults.json}),
 * overlaid by the config file, overlaid by environment variables. Each key's variable is
 * {@code ECB_} followed by its path in upper snake case: {@code backend.webhookSecret} is
 * {@code ECB_BACKEND_WEBHOOK_SECRET}. Values are converted to the type of the default, so
 * {@code ECB_HTTP_PORT=9000} becomes a number and a list accepts a comma-separated string.
 */
public final class ConfigLoader {

  private ConfigLoader() {
  }

  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/ecb-defaults.json")) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("ecb-defaults.json is missing from the classpath", e);
    }
  }

  /** Defaults, then {@code file} (when it exists), then the environment. */
  public static JsonObject load(Path file, Map<String, String> env) throws IOException {
    JsonObject config = defaults();
    if (file != null && Files.exists(file)) {
      merge(config, new JsonObject(Files.readString(file)));
    } else if (file != null) {
      throw new IOException("config file not found: " + file.toAbsolutePath());
    }
    applyEnv(config, "ECB", env);
    return config;
  }

  /** Deep merge: objects merge key by key, anything else replaces. */
  public static JsonObject merge(JsonObject target, JsonObject overlay) {
    for (Map.Entry<String, Object> e : overlay) {
      Object mine = target.getValue(e.getKey());
      if (mine instanceof JsonObject a && e.getValue() instanceof JsonObject b) {
        merge(a, b);
      } else {
        target.put(e.getKey(), e.getValue());
      }
    }
    return target;
  }

  static void applyEnv(JsonObject node, String prefix, Map<String, String> env) {
    for (String key : node.fieldNames().toArray(String[]::new)) {
      String name = prefix + "_" + snake(key);
      Object value = node.getValue(key);
      if (value instanceof JsonObject child) {
        applyEnv(child, name, env);
      } else if (env.containsKey(name)) {
        node.put(key, convert(env.get(name), value));
      }
    }
  }

  static String snake(String camel) {
    StringBuilder sb = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c) && sb.length() > 0) sb.append('_');
      sb.append(Character.toUpperCase(c));
    }
    return sb.toString();
  }

  private static Object convert(String raw, Object like) {
    if (like instanceof Boolean) return Boolean.parseBoolean(raw.trim());
    if (like instanceof Integer || like instanceof Long) return Long.parseLong(raw.trim());
    if (like instanceof Number) return Double.parseDouble(raw.trim());
    if (like instanceof JsonArray) {
      JsonArray a = new JsonArray();
      EcbConfig.strings(raw).forEach(a::add);
      return a;
    }
    return raw;
  }
}
