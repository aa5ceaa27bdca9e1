package io.ecb.bench;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.jwt.JWTAuth;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's load program: N WebSocket subscribers over loopback, spread over several
 * 127.0.0.x source addresses, with one thin adapter per protocol so that the client costs the
 * same for every server:
 * <ul>
 *   <li>{@code ecb}: the ECB bridge over SockJS's WebSocket transport ({@code /eventbus/<s>/<id>/websocket}),
 *   registering {@code ecb.channel.<name>} with a userToken whose {@code channels} claim names it;</li>
 *   <li>{@code sio}: Socket.IO 4 / Engine.IO 4 text frames ({@code /socket.io/?EIO=4&transport=websocket});</li>
 *   <li>{@code raw}: plain text frames ({@link RawBroadcastServer}).</li>
 * </ul>
 *
 * <p>{@code --mode=idle}: connect and subscribe every client, print {@code READY}, then hold the
 * connections (pinging as the protocol needs) until killed or {@code --hold} seconds pass.
 *
 * <p>{@code --mode=fanout} (S2): connect the subscribers, then publish at fixed rates (open model)
 * in steps. Each message carries {@code @@<nanoTime of its intended send time>@@}; since the
 * publisher runs in this process, every delivery's latency is {@code nanoTime() - intended},
 * recorded in an HdrHistogram. Stamping the <em>intended</em> time of a fixed schedule (as wrk2 does)
 * is the coordinated-omission correction: a publisher or server that falls behind shows up as
 * latency rather than as fewer samples. Steps go up until p99 passes {@code --p99-limit-ms} or
 * deliveries go missing.
 */
public final class LoadClient {

  static final String MARK = "@@";

  interface Protocol {
    String uri(int index);

    /** Handles one text frame; returns a stamp (ns) when the frame is a delivery, else -1. */
    void onText(Conn c, String text);

    default void onConnected(Conn c) {
    }
  }

  /** One client connection. */
  static final class Conn {
    final int index;
    final String userId;
    final Promise<Void> ready = Promise.promise();
    WebSocket ws;
    String token;

    Conn(int index) {
      this.index = index;
      this.userId = "u" + index;
    }

    void send(String text) {
      if (ws != null && !ws.isClosed()) ws.writeTextMessage(text);
    }
  }

  final Vertx vertx;
  final Args args;
  final Recorder recorder = new Recorder(120_000_000L, 3);
  final AtomicLong received = new AtomicLong();
  final AtomicLong lastReceiveNanos = new AtomicLong();
  final AtomicLong closedCount = new AtomicLong();
  final List<Conn> conns = new ArrayList<>();

  LoadClient(Vertx vertx, Args args) {
    this.vertx = vertx;
    this.args = args;
  }

  /** Called on an event loop for every delivered message. */
  void delivered(String text) {
    int i = text.indexOf(MARK);
    if (i < 0) return;
    long stamp = 0;
    for (int p = i + 2; p < text.length(); p++) {
      char ch = text.charAt(p);
      if (ch < '0' || ch > '9') break;
      stamp = stamp * 10 + (ch - '0');
    }
    long now = System.nanoTime();
    recorder.recordValue(Math.max(1, (now - stamp) / 1000));
    received.incrementAndGet();
    lastReceiveNanos.set(now);
  }

  // ---- protocol adapters -------------------------------------------------------------------

  /** ECB: SockJS WebSocket transport carrying Vert.x bridge frames. */
  final class EcbProtocol implements Protocol {
    final String channel = args.get("channel", "bench");
    final String address = "ecb.channel." + channel;
    final String confirmReply = "bench.confirm";

    public String uri(int index) {
      long session = ThreadLocalRandom.current().nextLong(Long.MAX_VALUE);
      return String.format("/eventbus/%03d/%s/websocket", index % 1000, Long.toString(session, 36));
    }

    String frame(JsonObject bridgeMessage) {
      return new JsonArray().add(bridgeMessage.encode()).encode();
    }

    public void onText(Conn c, String text) {
      if (text.startsWith("a[")) {
        if (text.contains(MARK)) {
          delivered(text);
        } else if (text.contains("\\\"address\\\":\\\"" + confirmReply + "\\\"")) {
          // The bridge answers a later frame only once the register is in effect cluster-wide.
          c.ready.tryComplete();
        } else if (text.contains("\\\"type\\\":\\\"err\\\"")) {
          c.ready.tryFail("bridge error: " + text);
        }
      } else if (text.equals("o")) {
        JsonObject headers = new JsonObject().put("userToken", c.token);
        c.send(frame(new JsonObject().put("type", "register").put("address", address).put("headers", headers)));
        // Any address outside the spec's table is refused with an err to the replyAddress.
        c.send(frame(new JsonObject().put("type", "send").put("address", "ecb.bench.confirm")
          .put("replyAddress", confirmReply).put("body", new JsonObject())));
        long delay = 5000;
        vertx.setTimer(ThreadLocalRandom.current().nextLong(delay), t ->
          vertx.setPeriodic(delay, p -> {
            if (c.ws.isClosed()) vertx.cancelTimer(p);
            else c.send("[\"{\\\"type\\\":\\\"ping\\\"}\"]");
          }));
      } else if (text.startsWith("c[")) {
        c.ready.tryFail("closed by server: " + text);
      }
    }
  }

  /** Socket.IO 4: Engine.IO v4 packets as WebSocket text frames. */
  final class SocketIoProtocol implements Protocol {
    public String uri(int index) {
      return "/socket.io/?EIO=4&transport=websocket";
    }

    public void onText(Conn c, String text) {
      if (text.startsWith("42")) {
        if (text.contains(MARK)) delivered(text);
        else if (text.startsWith("42[\"joined\"")) c.ready.tryComplete();
      } else if (text.equals("2")) {
        c.send("3");
      } else if (text.startsWith("0{")) {
        c.send("40");
      } else if (text.startsWith("44")) {
        c.ready.tryFail("connect error: " + text);
      }
    }
  }

  /** The raw Vert.x broadcast server: plain text frames. */
  final class RawProtocol implements Protocol {
    public String uri(int index) {
      return "/ws";
    }

    public void onText(Conn c, String text) {
      if (text.startsWith(MARK)) delivered(text);
      else if (text.equals("ok")) c.ready.tryComplete();
    }
  }

  // ---- connecting --------------------------------------------------------------------------

  Protocol protocol() {
    return switch (args.get("proto", "ecb")) {
      case "ecb" -> new EcbProtocol();
      case "sio" -> new SocketIoProtocol();
      case "raw" -> new RawProtocol();
      default -> throw new IllegalArgumentException("--proto must be ecb, sio or raw");
    };
  }

  /** Connects {@code --subs} clients; returns how many are ready (connected and subscribed). */
  int connectAll(Protocol protocol) throws Exception {
    int subs = args.getInt("subs", 1000);
    int first = args.getInt("first", 0);
    String host = args.get("host", "127.0.0.1");
    int port = args.getInt("port", 8080);
    int sources = args.getInt("sources", 4);
    int sourceBase = args.getInt("source-base", 10);
    JWTAuth signer = null;
    if (protocol instanceof EcbProtocol) {
      signer = StubBackend.signer(vertx, Files.readString(Path.of(args.get("key", "target/bench/private.pem"))));
    }
    List<WebSocketClient> clients = new ArrayList<>();
    for (int s = 0; s < sources; s++) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
        .setLocalAddress("127.0.0." + (sourceBase + s))
        .setMaxConnections(Integer.MAX_VALUE)
        .setConnectTimeout(30_000)));
    }
    Semaphore inFlight = new Semaphore(args.getInt("concurrency", 200));
    CountDownLatch done = new CountDownLatch(subs);
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong firstError = new AtomicLong();
    long t0 = System.nanoTime();
    for (int i = 0; i < subs; i++) {
      Conn c = new Conn(first + i);
      if (signer != null) c.token = StubBackend.userToken(signer, c.userId, args.get("channel", "bench"));
      conns.add(c);
      inFlight.acquire();
      WebSocketClient client = clients.get(i % sources);
      client.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(protocol.uri(c.index)))
        .onSuccess(ws -> {
          c.ws = ws;
          ws.textMessageHandler(text -> protocol.onText(c, text));
          ws.exceptionHandler(e -> c.ready.tryFail(e));
          ws.closeHandler(v -> {
            closedCount.incrementAndGet();
            c.ready.tryFail("closed " + ws.closeStatusCode() + " " + ws.closeReason());
          });
          protocol.onConnected(c);
        })
        .onFailure(c.ready::tryFail);
      vertx.setTimer(30_000, t -> c.ready.tryFail("not ready after 30 s"));
      c.ready.future().onComplete(ar -> {
        if (ar.succeeded()) ok.incrementAndGet();
        else if (failed.incrementAndGet() <= 3) System.err.println("client " + c.index + " failed: " + ar.cause().getMessage());
        inFlight.release();
        done.countDown();
      });
    }
    done.await();
    System.out.printf(Locale.ROOT, "CONNECTED ready=%d failed=%d seconds=%.1f%n", ok.get(), failed.get(),
      (System.nanoTime() - t0) / 1e9);
    return (int) ok.get();
  }

  // ---- publishing ----------------------------------------------------------------------------

  /** Publishes one message stamped with {@code stamp}; counts errors. */
  final class Publisher {
    final HttpClient http;
    final String proto = args.get("proto", "ecb");
    final int port = args.getInt("publish-port", args.getInt("port", 8080));
    final String apiKey = args.get("api-key", "bench-publisher");
    final String channel = args.get("channel", "bench");
    final String pad;
    final AtomicLong errors = new AtomicLong();
    final AtomicLong firstErrorLogged = new AtomicLong();

    Publisher() {
      http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setLocalAddress("127.0.0.2"), new PoolOptions().setHttp1MaxSize(32));
      // About 100 bytes of message text, stamp included.
      pad = "x".repeat(Math.max(0, args.getInt("message-bytes", 100) - 24));
    }

    void publish(long stamp) {
      String text = MARK + stamp + MARK + pad;
      RequestOptions req = new RequestOptions().setMethod(HttpMethod.POST);
      Buffer body;
      if (proto.equals("ecb")) {
        req.setURI("/api/v1/publish").putHeader("Authorization", "Bearer " + apiKey).putHeader("Content-Type", "application/json");
        body = new JsonObject().put("channel", channel).put("event", "m").put("data", text).toBuffer();
      } else {
        req.setURI("/publish").putHeader("Content-Type", "text/plain");
        body = Buffer.buffer(text);
      }
      http.request(req).compose(r -> r.send(body)).onComplete(ar -> {
        if (ar.failed() || ar.result().statusCode() >= 300) {
          errors.incrementAndGet();
          if (firstErrorLogged.getAndIncrement() < 3) {
            System.err.println("publish failed: " + (ar.failed() ? ar.cause() : ar.result().statusCode()));
          }
        }
      });
    }
  }

  /** One open-model step: {@code rate} messages/s for {@code seconds}; returns true when within limits. */
  boolean step(Publisher pub, int subscribers, int rate, double seconds, boolean warmup) throws Exception {
    long total = Math.round(rate * seconds);
    long interval = 1_000_000_000L / rate;
    recorder.getIntervalHistogram(); // reset
    received.set(0);
    long errorsBefore = pub.errors.get();
    long start = System.nanoTime() + 20_000_000L;
    AtomicLong sent = new AtomicLong();
    CountDownLatch allSent = new CountDownLatch(1);
    // A 1 ms tick sends every message whose intended time has come, stamped with that time.
    vertx.runOnContext(x -> vertx.setPeriodic(1, id -> {
      long now = System.nanoTime();
      while (sent.get() < total) {
        long intended = start + sent.get() * interval;
        if (intended > now) break;
        pub.publish(intended);
        sent.incrementAndGet();
      }
      if (sent.get() >= total) {
        vertx.cancelTimer(id);
        allSent.countDown();
      }
    }));
    allSent.await();
    long expected = total * subscribers;
    long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(args.getInt("drain-seconds", 10));
    while (received.get() < expected && System.nanoTime() < drainUntil) Thread.sleep(20);
    Histogram h = recorder.getIntervalHistogram();
    long got = received.get();
    double elapsed = Math.max(seconds, (lastReceiveNanos.get() - start) / 1e9);
    long lost = expected - got;
    double p99 = h.getValueAtPercentile(99) / 1000.0;
    long errors = pub.errors.get() - errorsBefore;
    System.out.printf(Locale.ROOT,
      "%s proto=%s subs=%d rate=%d offered=%d delivered_per_s=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f lost=%d publish_errors=%d%n",
      warmup ? "WARMUP" : "STEP", args.get("proto", "ecb"), subscribers, rate, (long) rate * subscribers, got / elapsed,
      h.getValueAtPercentile(50) / 1000.0, p99, h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0,
      Math.max(0, lost), errors);
    return p99 <= args.getDouble("p99-limit-ms", 100) && lost <= 0 && errors == 0;
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int loops = args.getInt("loops", Runtime.getRuntime().availableProcessors());
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setBlockedThreadCheckInterval(10_000));
    LoadClient load = new LoadClient(vertx, args);
    Protocol protocol = load.protocol();
    int ready = load.connectAll(protocol);
    String mode = args.get("mode", "fanout");
    if (mode.equals("idle")) {
      System.out.println("READY " + ready);
      System.out.flush();
      // Hold the connections (pinging) until the runner kills this process or --hold seconds pass.
      Thread.sleep(args.getInt("hold", 3600) * 1000L);
      System.out.println("IDLE closed_by_server=" + load.closedCount.get());
    } else {
      int subs = args.getInt("subs", 1000);
      if (ready < subs) System.out.println("WARN only " + ready + " of " + subs + " subscribers ready");
      Publisher pub = load.new Publisher();
      double seconds = args.getDouble("step-seconds", 10);
      // Warm-up at the first rate, not reported.
      String[] rates = args.get("rates", "10,50,100,200,400").split(",");
      load.step(pub, ready, Integer.parseInt(rates[0]), Math.min(seconds, args.getDouble("warmup-seconds", 3)), true);
      for (String r : rates) {
        if (!load.step(pub, ready, Integer.parseInt(r.trim()), seconds, false)) {
          System.out.println("STOP limit passed at rate=" + r.trim());
          break;
        }
      }
    }
    vertx.close().await();
    System.exit(0);
  }
}
