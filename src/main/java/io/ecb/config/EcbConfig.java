package io.ecb.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node's configuration, read once at start-up: built-in defaults, then the config file, then
 * {@code ECB_*} environment variables (see {@link ConfigLoader}). Every other class reads its
 * settings from here instead of from raw JSON, so a setting has one name and one default.
 */
public final class EcbConfig {

  public final JsonObject json;

  public final Http http;
  public final Auth auth;
  public final Backend backend;
  public final Threads threads;
  public final Limits limits;
  public final History history;
  public final Channels channels;
  public final List<String> publishers;
  public final Cluster cluster;
  public final Shutdown shutdown;
  public final Demo demo;

  public EcbConfig(JsonObject json) {
    this.json = json;
    this.http = new Http(obj("http"));
    this.auth = new Auth(obj("auth"));
    this.backend = new Backend(obj("backend"));
    this.threads = new Threads(obj("threads"));
    this.limits = new Limits(obj("limits"));
    this.history = new History(obj("history"));
    this.channels = new Channels(obj("channels"));
    this.publishers = strings(json.getValue("publishers"));
    this.cluster = new Cluster(obj("cluster"));
    this.shutdown = new Shutdown(obj("shutdown"));
    this.demo = new Demo(obj("demo"));
  }

  private JsonObject obj(String key) {
    JsonObject o = json.getJsonObject(key);
    return o == null ? new JsonObject() : o;
  }

  /** A list setting may be a JSON array or, from an environment variable, a comma-separated string. */
  static List<String> strings(Object value) {
    if (value == null) return List.of();
    if (value instanceof JsonArray a) return a.stream().map(String::valueOf).filter(s -> !s.isBlank()).toList();
    if (value instanceof List<?> l) return l.stream().map(String::valueOf).filter(s -> !s.isBlank()).toList();
    String s = value.toString().trim();
    if (s.isEmpty()) return List.of();
    return java.util.Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  private static String text(JsonObject o, String key) {
    String v = o.getString(key);
    return v == null || v.isBlank() ? null : v;
  }

  public static final class Http {
    public final String host;
    public final int port;
    public final List<String> allowedOrigins;
    /** Proxies (IPs or CIDR blocks) whose forwarding headers name the client (see io.ecb.http.ClientAddress). */
    public final List<String> trustedProxies;
    public final int maxFrameBytes;
    /** How long a request's headers may take to arrive, from the connection's start or the request's first byte. */
    public final int headerTimeoutSeconds;
    /** A connection with no traffic either way for this long is closed. */
    public final int idleTimeoutSeconds;

    Http(JsonObject o) {
      host = o.getString("host", "0.0.0.0");
      port = o.getInteger("port", 8080);
      allowedOrigins = strings(o.getValue("allowedOrigins"));
      trustedProxies = strings(o.getValue("trustedProxies"));
      maxFrameBytes = o.getInteger("maxFrameBytes", 65536);
      headerTimeoutSeconds = o.getInteger("headerTimeoutSeconds", 10);
      idleTimeoutSeconds = o.getInteger("idleTimeoutSeconds", 60);
    }
  }

  public static final class Auth {
    public final String algorithm;
    public final String publicKey;
    public final String jwksUrl;
    public final String secret;
    public final String issuer;
    public final String audience;
    public final int leewaySeconds;
    /** Verified tokens remembered (until their exp) so a client's next request skips the signature check; 0 = none. */
    public final int verifiedTokenCacheSize;
    /** {@code typ} values (claim or header) a userToken may declare; an untyped token is accepted as before. */
    public final List<String> userTokenTypes;

    Auth(JsonObject o) {
      algorithm = o.getString("algorithm", "RS256");
      publicKey = text(o, "publicKey");
      jwksUrl = text(o, "jwksUrl");
      secret = text(o, "secret");
      issuer = text(o, "issuer");
      audience = text(o, "audience");
      leewaySeconds = o.getInteger("leewaySeconds", 30);
      verifiedTokenCacheSize = o.getInteger("verifiedTokenCacheSize", 10_000);
      userTokenTypes = strings(o.getValue("userTokenTypes"));
    }
  }

  public static final class Backend {
    public final String url;
    public final List<String> webhookSecrets;
    public final int timeoutMs;
    public final Map<String, Object> timeouts;
    public final int circuitMaxFailures;
    public final long circuitResetMs;

    Backend(JsonObject o) {
      url = text(o, "url");
      // The current secret first; a second one may be listed while the backend rotates.
      webhookSecrets = strings(o.getValue("webhookSecret"));
      timeoutMs = o.getInteger("timeoutMs", 5000);
      JsonObject t = o.getJsonObject("timeouts");
      timeouts = t == null ? Map.of() : t.getMap();
      JsonObject c = o.getJsonObject("circuitBreaker", new JsonObject());
      circuitMaxFailures = c.getInteger("maxFailures", 5);
      circuitResetMs = c.getLong("resetMs", 10_000L);
    }

    public long timeoutMs(String operation) {
      Object v = timeouts.get(operation);
      return v instanceof Number n ? n.longValue() : timeoutMs;
    }
  }

  public static final class Threads {
    public final boolean blockNonMembers;

    Threads(JsonObject o) {
      blockNonMembers = o.getBoolean("blockNonMembers", true);
    }
  }

  public static final class Limits {
    public final int subscriptionsPerConnection;
    public final double requestsPerSecond;
    public final int requestBurst;
    public final int outboundQueueBytes;
    public final long typingIntervalMs;
    public final long pingTimeoutMs;
    public final long heartbeatSeconds;
    public final long dedupSeconds;
    public final int dedupPerUser;
    /** Failed token checks per second allowed per client address and per connection; 0 = no limit. */
    public final double failedAuthPerSecond;
    /** Open HTTP connections (WebSockets and streams included) per client address and node; 0 = no limit. */
    public final int connectionsPerIp;

    Limits(JsonObject o) {
      subscriptionsPerConnection = o.getInteger("subscriptionsPerConnection", 128);
      requestsPerSecond = o.getDouble("requestsPerSecond", 50.0);
      requestBurst = o.getInteger("requestBurst", 100);
      outboundQueueBytes = o.getInteger("outboundQueueBytes", 1024 * 1024);
      typingIntervalMs = o.getLong("typingIntervalMs", 1000L);
      pingTimeoutMs = o.getLong("pingTimeoutMs", 10_000L);
      heartbeatSeconds = o.getLong("heartbeatSeconds", 25L);
      dedupSeconds = o.getLong("dedupSeconds", 300L);
      dedupPerUser = o.getInteger("dedupPerUser", 1000);
      failedAuthPerSecond = o.getDouble("failedAuthPerSecond", 20.0);
      connectionsPerIp = o.getInteger("connectionsPerIp", 1000);
    }
  }

  public static final class History {
    public final int size;
    public final long ttlSeconds;
    /** Bound on the history bytes of all streams a node owns; 0 = unbounded. */
    public final long maxBytes;

    History(JsonObject o) {
      size = o.getInteger("size", 300);
      ttlSeconds = o.getLong("ttlSeconds", 600L);
      maxBytes = o.getLong("maxBytes", 256L * 1024 * 1024);
    }
  }

  public static final class Channels {
    public final Set<String> publicNames;
    public final Set<String> publisherUserIds;

    Channels(JsonObject o) {
      publicNames = Set.copyOf(strings(o.getValue("public")));
      publisherUserIds = Set.copyOf(strings(o.getValue("publisherUserIds")));
    }
  }

  public static final class Cluster {
    public final String name;
    /** The one address Hazelcast and the event bus listen on and advertise; never every interface. */
    public final String host;
    public final int port;
    public final int eventBusPort;
    public final List<String> members;
    public final String kubernetesServiceDns;
    public final String configFile;

    Cluster(JsonObject o) {
      name = o.getString("name", "ecb");
      String h = text(o, "host");
      host = h == null ? "127.0.0.1" : h;
      port = o.getInteger("port", 5701);
      eventBusPort = o.getInteger("eventBusPort", 0);
      members = strings(o.getValue("members"));
      JsonObject k = o.getJsonObject("kubernetes", new JsonObject());
      kubernetesServiceDns = text(k, "serviceDns");
      configFile = o.getString("configFile", "conf/cluster.xml");
    }
  }

  public static final class Shutdown {
    public final long drainSeconds;

    Shutdown(JsonObject o) {
      drainSeconds = o.getLong("drainSeconds", 30L);
    }
  }

  public static final class Demo {
    public final boolean enabled;

    Demo(JsonObject o) {
      enabled = o.getBoolean("enabled", false);
    }
  }
}
