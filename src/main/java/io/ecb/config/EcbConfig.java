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
  public final Delivery delivery;
  public final Channels channels;
  public final List<String> publishers;
  public final Cluster cluster;
  public final Shutdown shutdown;
  public final Demo demo;
  public final Push push;

  public EcbConfig(JsonObject json) {
    this.json = json;
    this.http = new Http(obj("http"));
    this.auth = new Auth(obj("auth"));
    this.backend = new Backend(obj("backend"));
    this.threads = new Threads(obj("threads"));
    this.limits = new Limits(obj("limits"));
    this.history = new History(obj("history"));
    this.delivery = new Delivery(obj("delivery"));
    this.channels = new Channels(obj("channels"));
    this.publishers = strings(json.getValue("publishers"));
    this.cluster = new Cluster(obj("cluster"));
    this.shutdown = new Shutdown(obj("shutdown"));
    this.demo = new Demo(obj("demo"));
    this.push = new Push(obj("push"));
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
    /** An event stream or Channel Sender socket with nothing to send gets a ping this often, so proxies keep it open. */
    public final long keepAliveSeconds;
    /** The node's socket transport: auto (io_uring, else epoll, else NIO), io_uring, epoll or nio. */
    public final String transport;

    Http(JsonObject o) {
      host = o.getString("host", "0.0.0.0");
      port = o.getInteger("port", 8080);
      allowedOrigins = strings(o.getValue("allowedOrigins"));
      trustedProxies = strings(o.getValue("trustedProxies"));
      maxFrameBytes = o.getInteger("maxFrameBytes", 65536);
      headerTimeoutSeconds = o.getInteger("headerTimeoutSeconds", 10);
      idleTimeoutSeconds = o.getInteger("idleTimeoutSeconds", 60);
      keepAliveSeconds = Math.max(1, o.getLong("keepAliveSeconds", 25L));
      transport = o.getString("transport", "auto");
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
    /** How long a payload that arrives ahead of a missing one waits for it before the gap is read from history. */
    public final long gapWaitMs;

    History(JsonObject o) {
      size = o.getInteger("size", 300);
      ttlSeconds = o.getLong("ttlSeconds", 600L);
      maxBytes = o.getLong("maxBytes", 256L * 1024 * 1024);
      gapWaitMs = Math.max(1, o.getLong("gapWaitMs", 500L));
    }
  }

  public static final class Delivery {
    /** At most how long a busy stream's payload may wait for the next before a large group's loop writes them together; 0 = never. */
    public final long lingerMs;
    /** From how many followers of a stream on one event loop payloads may linger. */
    public final int lingerFollowers;

    Delivery(JsonObject o) {
      lingerMs = Math.max(0, o.getLong("lingerMs", 15L));
      lingerFollowers = Math.max(1, o.getInteger("lingerFollowers", 100));
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

  /** The push profiles, {@code push.*}. */
  public static final class Push {
    public final N10n n10n;
    public final Notify notify;
    public final WebPush webpush;
    public final ChannelSender channelSender;

    Push(JsonObject o) {
      n10n = new N10n(o.getJsonObject("n10n", new JsonObject()));
      notify = new Notify(o.getJsonObject("notify", new JsonObject()));
      webpush = new WebPush(o.getJsonObject("webpush", new JsonObject()));
      channelSender = new ChannelSender(o.getJsonObject("channelSender", new JsonObject()));
    }
  }

  /** Voedger-style notifications over SSE, {@code push.n10n}. */
  public static final class N10n {
    public final boolean enabled;
    public final long heartbeatSeconds;
    public final long defaultExpiresInSeconds;
    public final int channelsPerUser;
    public final int subscriptionsPerUser;
    public final int channelsPerNode;

    N10n(JsonObject o) {
      enabled = o.getBoolean("enabled", true);
      heartbeatSeconds = Math.max(1, o.getLong("heartbeatSeconds", 30L));
      defaultExpiresInSeconds = o.getLong("defaultExpiresInSeconds", 86_400L);
      channelsPerUser = o.getInteger("channelsPerUser", 50);
      subscriptionsPerUser = o.getInteger("subscriptionsPerUser", 100);
      channelsPerNode = o.getInteger("channelsPerNode", 10_000);
    }
  }

  /** Channel notify, {@code push.notify}. */
  public static final class Notify {
    public final long tokenSeconds;
    /** Signs socket tokens; null = derived from backend.webhookSecret. */
    public final String secret;

    Notify(JsonObject o) {
      tokenSeconds = o.getLong("tokenSeconds", 300L);
      secret = text(o, "secret");
    }
  }

  /** Web push channel registrations, {@code push.webpush}. */
  public static final class WebPush {
    public final boolean enabled;

    WebPush(JsonObject o) {
      enabled = o.getBoolean("enabled", true);
    }
  }

  /** Channel Sender, {@code push.channelSender}; what each setting means is on SenderConfig. */
  public static final class ChannelSender {
    public final boolean open;
    /** Signs channel secrets; null = derived from backend.webhookSecret. */
    public final String secret;
    public final long maxAgeSeconds;
    public final long authTimeoutSeconds;
    public final long initialRedeliveryMs;
    public final long maxRedeliveryMs;
    public final int maxRedeliveries;
    public final int maxPending;
    public final int batchLimit;
    public final long channelTtlSeconds;
    public final long resyncMs;
    public final int maxBodyBytes;

    ChannelSender(JsonObject o) {
      open = bool(o.getValue("open"));
      secret = text(o, "secret");
      maxAgeSeconds = num(o, "maxAgeSeconds", 900);
      authTimeoutSeconds = num(o, "authTimeoutSeconds", 10);
      initialRedeliveryMs = num(o, "initialRedeliveryMs", 1000);
      maxRedeliveryMs = num(o, "maxRedeliveryMs", 3000);
      maxRedeliveries = (int) num(o, "maxRedeliveries", 20);
      maxPending = (int) num(o, "maxPending", 100);
      batchLimit = (int) num(o, "batchLimit", 10);
      channelTtlSeconds = num(o, "channelTtlSeconds", 3600);
      resyncMs = num(o, "resyncMs", 5000);
      maxBodyBytes = (int) num(o, "maxBodyBytes", 1048576);
    }

    /** A number written as a JSON string (as some deployment tools do) is read too. */
    private static long num(JsonObject o, String key, long def) {
      Object v = o.getValue(key);
      if (v instanceof Number n) return n.longValue();
      if (v instanceof String s && !s.isBlank()) return Long.parseLong(s.trim());
      return def;
    }

    private static boolean bool(Object v) {
      return v instanceof Boolean b ? b : v instanceof String s && Boolean.parseBoolean(s.trim());
    }
  }
}
