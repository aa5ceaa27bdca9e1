package io.ecb.config;

import io.ecb.auth.Caller;
import io.ecb.auth.TokenVerifier;
import io.ecb.support.TestKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SPEC section 8, "Packaging and config": defaults, then the config file, then ECB_* variables. */
class ConfigLoaderTest {

  private static final Caller CLIENT = Caller.request(SocketAddress.inetSocketAddress(40000, "127.0.0.1"));

  @TempDir
  Path dir;

  private Path write(JsonObject json) throws IOException {
    Path f = dir.resolve("config-" + System.nanoTime() + ".json");
    Files.writeString(f, json.encodePrettily());
    return f;
  }

  @Test
  void withoutFileOrEnvironmentTheDefaultsApply() throws IOException {
    JsonObject json = ConfigLoader.load(null, Map.of());
    assertThat(json).isEqualTo(ConfigLoader.defaults());
    EcbConfig c = new EcbConfig(json);
    assertThat(c.http.port).isEqualTo(8080);
    assertThat(c.auth.algorithm).isEqualTo("RS256");
    assertThat(c.auth.leewaySeconds).isEqualTo(30);
    assertThat(c.threads.blockNonMembers).isTrue();
    assertThat(c.limits.subscriptionsPerConnection).isEqualTo(128);
    assertThat(c.limits.requestsPerSecond).isEqualTo(50.0);
    assertThat(c.limits.requestBurst).isEqualTo(100);
    assertThat(c.http.maxFrameBytes).isEqualTo(65536);
    assertThat(c.http.allowedOrigins).isEmpty();
    assertThat(c.shutdown.drainSeconds).isEqualTo(30);
    assertThat(c.demo.enabled).isFalse();
  }

  @Test
  void fileValuesOverrideDefaultsAndNestedDefaultsSurvive() throws IOException {
    Path f = write(new JsonObject()
      .put("http", new JsonObject().put("port", 9001))
      .put("backend", new JsonObject().put("url", "http://file-backend/hooks").put("webhookSecret", new JsonArray().add("f1")))
      .put("cluster", new JsonObject().put("kubernetes", new JsonObject().put("serviceDns", "file.svc")))
      .put("publishers", new JsonArray().add("k1")));
    EcbConfig c = new EcbConfig(ConfigLoader.load(f, Map.of()));
    assertThat(c.http.port).isEqualTo(9001);
    assertThat(c.backend.url).isEqualTo("http://file-backend/hooks");
    assertThat(c.backend.webhookSecrets).containsExactly("f1");
    assertThat(c.cluster.kubernetesServiceDns).isEqualTo("file.svc");
    assertThat(c.publishers).containsExactly("k1");
    // siblings the file does not mention keep their defaults (deep merge, not replacement)
    assertThat(c.http.host).isEqualTo("0.0.0.0");
    assertThat(c.http.maxFrameBytes).isEqualTo(65536);
    assertThat(c.backend.timeoutMs).isEqualTo(5000);
    assertThat(c.backend.circuitMaxFailures).isEqualTo(5);
    assertThat(c.cluster.name).isEqualTo("ecb");
    assertThat(c.cluster.configFile).isEqualTo("conf/cluster.xml");
  }

  @Test
  void environmentOverridesTheFile() throws IOException {
    Path f = write(new JsonObject()
      .put("http", new JsonObject().put("port", 9001))
      .put("backend", new JsonObject().put("url", "http://file-backend/hooks").put("timeoutMs", 1000))
      .put("cluster", new JsonObject().put("name", "from-file").put("kubernetes", new JsonObject().put("serviceDns", "file.svc")))
      .put("demo", new JsonObject().put("enabled", true)));
    EcbConfig c = new EcbConfig(ConfigLoader.load(f, Map.of(
      "ECB_HTTP_PORT", "9100",
      "ECB_BACKEND_URL", "http://env-backend/hooks",
      "ECB_CLUSTER_KUBERNETES_SERVICE_DNS", "env.svc",
      "ECB_DEMO_ENABLED", "false")));
    assertThat(c.http.port).isEqualTo(9100);
    assertThat(c.backend.url).isEqualTo("http://env-backend/hooks");
    assertThat(c.cluster.kubernetesServiceDns).isEqualTo("env.svc");
    assertThat(c.demo.enabled).isFalse();
    // values with no variable keep the file's
    assertThat(c.backend.timeoutMs).isEqualTo(1000);
    assertThat(c.cluster.name).isEqualTo("from-file");
  }

  static Stream<Arguments> specExamples() {
    String pem = TestKeys.rsa().publicPem;
    return Stream.of(
      ex("ECB_HTTP_PORT", "9000", List.of("http", "port"), 9000L, c -> c.http.port, 9000),
      ex("ECB_BACKEND_URL", "https://backend.example.com/ecb", List.of("backend", "url"), "https://backend.example.com/ecb",
        c -> c.backend.url, "https://backend.example.com/ecb"),
      ex("ECB_BACKEND_WEBHOOK_SECRET", "current-secret,previous-secret", List.of("backend", "webhookSecret"),
        new JsonArray().add("current-secret").add("previous-secret"),
        c -> c.backend.webhookSecrets, List.of("current-secret", "previous-secret")),
      ex("ECB_BACKEND_TIMEOUT_MS", "2500", List.of("backend", "timeoutMs"), 2500L, c -> c.backend.timeoutMs, 2500),
      ex("ECB_AUTH_PUBLIC_KEY", pem, List.of("auth", "publicKey"), pem, c -> c.auth.publicKey, pem),
      ex("ECB_AUTH_ALGORITHM", "ES256", List.of("auth", "algorithm"), "ES256", c -> c.auth.algorithm, "ES256"),
      ex("ECB_THREADS_BLOCK_NON_MEMBERS", "false", List.of("threads", "blockNonMembers"), false,
        c -> c.threads.blockNonMembers, false),
      ex("ECB_DEMO_ENABLED", "true", List.of("demo", "enabled"), true, c -> c.demo.enabled, true),
      ex("ECB_PUBLISHERS", "a,b", List.of("publishers"), new JsonArray().add("a").add("b"), c -> c.publishers, List.of("a", "b")),
      ex("ECB_CLUSTER_NAME", "prod-chat", List.of("cluster", "name"), "prod-chat", c -> c.cluster.name, "prod-chat"),
      ex("ECB_CLUSTER_PORT", "5801", List.of("cluster", "port"), 5801L, c -> c.cluster.port, 5801),
      ex("ECB_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2:5701", List.of("cluster", "members"),
        new JsonArray().add("10.0.0.1:5701").add("10.0.0.2:5701"),
        c -> c.cluster.members, List.of("10.0.0.1:5701", "10.0.0.2:5701")),
      ex("ECB_CLUSTER_KUBERNETES_SERVICE_DNS", "ecb-headless.chat.svc.cluster.local", List.of("cluster", "kubernetes", "serviceDns"),
        "ecb-headless.chat.svc.cluster.local", c -> c.cluster.kubernetesServiceDns, "ecb-headless.chat.svc.cluster.local"));
  }

  private static Arguments ex(String variable, String value, List<String> path, Object jsonValue,
                              Function<EcbConfig, Object> typed, Object expected) {
    return Arguments.of(variable, value, path, jsonValue, typed, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specExamples")
  void everySpecExampleVariableOverridesWithTheRightType(String variable, String value, List<String> path, Object jsonValue,
                                                         Function<EcbConfig, Object> typed, Object expected) throws IOException {
    // The file sets a different value, so the variable must win over the file, not just the default.
    JsonObject fileJson = new JsonObject();
    JsonObject node = fileJson;
    for (int i = 0; i < path.size() - 1; i++) {
      JsonObject child = new JsonObject();
      node.put(path.get(i), child);
      node = child;
    }
    Object defaultValue = valueAt(ConfigLoader.defaults(), path);
    node.put(path.get(path.size() - 1), fileValue(defaultValue));
    Path f = write(fileJson);
    assertThat(typed.apply(new EcbConfig(ConfigLoader.load(f, Map.of())))).as("file value").isNotEqualTo(expected);

    JsonObject json = ConfigLoader.load(f, Map.of(variable, value));
    Object raw = valueAt(json, path);
    if (jsonValue instanceof Number n) {
      assertThat(raw).as("JSON value of %s", variable).isInstanceOf(Number.class);
      assertThat(((Number) raw).longValue()).isEqualTo(n.longValue());
    } else {
      assertThat(raw).as("JSON value of %s", variable).isEqualTo(jsonValue);
    }
    assertThat(typed.apply(new EcbConfig(json))).as("typed value of %s", variable).isEqualTo(expected);
  }

  /** A file value of the default's type that differs from every example value. */
  private static Object fileValue(Object like) {
    if (like instanceof Boolean b) return b; // the examples flip the default, so the default differs
    if (like instanceof Number) return 1234;
    if (like instanceof JsonArray) return new JsonArray().add("from-file");
    return "from-file";
  }

  private static Object valueAt(JsonObject json, List<String> path) {
    Object v = json;
    for (String key : path) v = ((JsonObject) v).getValue(key);
    return v;
  }

  @Test
  void multiLinePemFromTheEnvironmentVerifiesTokens() throws IOException {
    TestKeys keys = TestKeys.rsa();
    assertThat(keys.publicPem).contains("\n");
    EcbConfig c = new EcbConfig(ConfigLoader.load(null, Map.of("ECB_AUTH_PUBLIC_KEY", keys.publicPem)));
    Vertx vertx = Vertx.vertx();
    try {
      TokenVerifier v = TokenVerifier.create(vertx, c.auth).await();
      assertThat(v.verifyUser(CLIENT, keys.sign(vertx, new JsonObject().put("userId", "u1"), 60)).await().userId()).isEqualTo("u1");
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void booleanVariablesAcceptTrueAndFalse() throws IOException {
    assertThat(new EcbConfig(ConfigLoader.load(null, Map.of("ECB_THREADS_BLOCK_NON_MEMBERS", "false"))).threads.blockNonMembers).isFalse();
    assertThat(new EcbConfig(ConfigLoader.load(null, Map.of("ECB_THREADS_BLOCK_NON_MEMBERS", "true"))).threads.blockNonMembers).isTrue();
    assertThat(new EcbConfig(ConfigLoader.load(null, Map.of("ECB_DEMO_ENABLED", "true"))).demo.enabled).isTrue();
    assertThat(new EcbConfig(ConfigLoader.load(null, Map.of("ECB_DEMO_ENABLED", "false"))).demo.enabled).isFalse();
  }

  @Test
  void pushProfilesAndTimingsAreTypedWithOneDefault() throws IOException {
    EcbConfig d = new EcbConfig(ConfigLoader.load(null, Map.of()));
    assertThat(d.history.gapWaitMs).isEqualTo(500);
    assertThat(d.http.keepAliveSeconds).isEqualTo(25);
    assertThat(d.push.n10n.enabled).isTrue();
    assertThat(d.push.n10n.heartbeatSeconds).isEqualTo(30);
    assertThat(d.push.n10n.defaultExpiresInSeconds).isEqualTo(86_400);
    assertThat(d.push.n10n.channelsPerUser).isEqualTo(50);
    assertThat(d.push.n10n.subscriptionsPerUser).isEqualTo(100);
    assertThat(d.push.n10n.channelsPerNode).isEqualTo(10_000);
    assertThat(d.push.notify.tokenSeconds).isEqualTo(300);
    assertThat(d.push.notify.secret).isNull(); // "" means derived
    assertThat(d.push.webpush.enabled).isTrue();
    assertThat(d.push.channelSender.open).isFalse();
    assertThat(d.push.channelSender.maxPending).isEqualTo(100);
    assertThat(d.push.channelSender.maxBodyBytes).isEqualTo(1_048_576);

    // A config without the section reads the same values as ecb-defaults.json.
    EcbConfig bare = new EcbConfig(new JsonObject());
    assertThat(bare.history.gapWaitMs).isEqualTo(d.history.gapWaitMs);
    assertThat(bare.http.keepAliveSeconds).isEqualTo(d.http.keepAliveSeconds);
    assertThat(bare.push.n10n).usingRecursiveComparison().isEqualTo(d.push.n10n);
    assertThat(bare.push.notify).usingRecursiveComparison().isEqualTo(d.push.notify);
    assertThat(bare.push.webpush).usingRecursiveComparison().isEqualTo(d.push.webpush);
    assertThat(bare.push.channelSender).usingRecursiveComparison().isEqualTo(d.push.channelSender);

    EcbConfig c = new EcbConfig(ConfigLoader.load(null, Map.of(
      "ECB_HISTORY_GAP_WAIT_MS", "200", "ECB_HTTP_KEEP_ALIVE_SECONDS", "5",
      "ECB_PUSH_N10N_CHANNELS_PER_USER", "7", "ECB_PUSH_NOTIFY_SECRET", "s3cret",
      "ECB_PUSH_CHANNEL_SENDER_OPEN", "true", "ECB_PUSH_WEBPUSH_ENABLED", "false")));
    assertThat(c.history.gapWaitMs).isEqualTo(200);
    assertThat(c.http.keepAliveSeconds).isEqualTo(5);
    assertThat(c.push.n10n.channelsPerUser).isEqualTo(7);
    assertThat(c.push.notify.secret).isEqualTo("s3cret");
    assertThat(c.push.channelSender.open).isTrue();
    assertThat(c.push.webpush.enabled).isFalse();
  }

  @Test
  void listVariablesTrimAndDropEmptyItems() throws IOException {
    EcbConfig c = new EcbConfig(ConfigLoader.load(null, Map.of("ECB_PUBLISHERS", " a , b ,,", "ECB_BACKEND_WEBHOOK_SECRET", "only-one")));
    assertThat(c.publishers).containsExactly("a", "b");
    assertThat(c.backend.webhookSecrets).containsExactly("only-one");
  }

  @Test
  void unrelatedVariablesAreIgnored() throws IOException {
    JsonObject json = ConfigLoader.load(null, Map.of("PATH", "/usr/bin", "HOME", "/root", "ECB_NO_SUCH_KEY", "x", "ecb_http_port", "1"));
    assertThat(json).isEqualTo(ConfigLoader.defaults());
  }

  @Test
  void aNonNumericNumberIsAnError() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("ECB_HTTP_PORT", "eighty")))
      .isInstanceOf(RuntimeException.class);
  }

  @Test
  void aMissingExplicitFileIsAnError() {
    Path missing = dir.resolve("does-not-exist.json");
    assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of()))
      .isInstanceOf(IOException.class)
      .hasMessageContaining("does-not-exist.json");
  }

  @Test
  void theShippedConfigFileLoadsWithTheDemoOn() throws IOException {
    Path shipped = Path.of("conf", "config.json");
    assertThat(shipped).exists();
    EcbConfig c = new EcbConfig(ConfigLoader.load(shipped, Map.of()));
    assertThat(c.demo.enabled).isTrue();
    assertThat(c.http.port).isEqualTo(8080);
    assertThat(c.auth.algorithm).isEqualTo("RS256");
    assertThat(c.cluster.name).isEqualTo("ecb");
    // keys the file leaves out still come from the defaults
    assertThat(c.auth.leewaySeconds).isEqualTo(30);
    assertThat(c.limits.subscriptionsPerConnection).isEqualTo(128);
    // and the environment still wins over it
    assertThat(new EcbConfig(ConfigLoader.load(shipped, Map.of("ECB_DEMO_ENABLED", "false"))).demo.enabled).isFalse();
  }
}
