package io.ecb.bench;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.ecb.backend.TokenMinter;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * S3's load program (chat, ECB only): {@code --threads} threads {@code t<k>} of 4 members
 * {@code u<4k>..u<4k+3>} (the {@link StubBackend}'s model), one ECB bridge client per member over
 * SockJS's WebSocket transport ({@code /eventbus/<s>/<id>/websocket}), from several 127.0.0.x
 * source addresses. Every member registers {@code ecb.thread.t<k>} with its userToken and the
 * thread's threadToken, then sends one message per {@code --interval-ms} (default 1 s) through
 * {@code ecb.sendMessage} (request/reply over the bridge, so ECB's {@code addThreadMessage} webhook
 * to the stub is in the path). The sends of all members are spread evenly over each interval on
 * one fixed schedule; each message text carries {@code @@<intended send nanoTime>@@<sender index>#},
 * and every delivery at a member other than the sender records {@code nanoTime() - intended}
 * (stamping the intended time of a fixed schedule, as wrk2 does, is the coordinated-omission
 * correction). The stub's own {@code addThreadMessage} handling time over the same period
 * ({@code /bench/stats}) is printed beside it. See {@link Chat}. S1, S2 and S4 use the Node load
 * client, {@code src/bench/node/load.js}.
 */
public final class LoadClient {

  static final String MARK = "@@";

  /** The intended send time (nanoTime) an S3 message's text carries after its first {@link #MARK}; -1 if none. */
  static long stamp(String text) {
    int i = text.indexOf(MARK);
    return i < 0 ? -1 : number(text, i + MARK.length());
  }

  /** The decimal digits of {@code text} from {@code from} on (0 if none). */
  static long number(String text, int from) {
    long n = 0;
    for (int p = from; p < text.length() && text.charAt(p) >= '0' && text.charAt(p) <= '9'; p++) n = n * 10 + (text.charAt(p) - '0');
    return n;
  }

  /** One client connection. */
  static final class Conn {
    final int index;
    final String userId;
    final Promise<Void> ready = Promise.promise();
    WebSocket ws;
    String token;
    /** The address to register and the thread's token. */
    String address;
    String threadToken;
    /** S3's sendMessage frame before and after the message text. */
    String[] sendFrame;

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
  Chat chat;

  LoadClient(Vertx vertx, Args args) {
    this.vertx = vertx;
    this.args = args;
  }

  /** The ECB bridge over SockJS's WebSocket transport, as vertx-eventbus.js speaks it. */
  final class EcbProtocol {
    final String confirmReply = "bench.confirm";

    String uri(int index) {
      long session = ThreadLocalRandom.current().nextLong(Long.MAX_VALUE);
      return String.format("/eventbus/%03d/%s/websocket", index % 1000, Long.toString(session, 36));
    }

    String frame(JsonObject bridgeMessage) {
      return new JsonArray().add(bridgeMessage.encode()).encode();
    }

    void onText(Conn c, String text) {
      if (text.startsWith("a[")) {
        if (text.contains(Chat.REPLY_MATCH)) {
          chat.replied(text);
        } else if (text.contains(MARK)) {
          chat.delivered(c, text);
        } else if (text.contains("\\\"address\\\":\\\"" + confirmReply + "\\\"")) {
          // The bridge answers a later frame only once the register is in effect cluster-wide.
          c.ready.tryComplete();
        } else if (text.contains("\\\"type\\\":\\\"err\\\"")) {
          c.ready.tryFail("bridge error: " + text);
        }
      } else if (text.equals("o")) {
        JsonObject headers = new JsonObject().put("userToken", c.token);
        if (c.threadToken != null) headers.put("threadToken", c.threadToken);
        c.send(frame(new JsonObject().put("type", "register").put("address", c.address)
          .put("headers", headers)));
        // Any address outside the spec's table is refused with an err to the replyAddress.
        c.send(frame(new JsonObject().put("type", "send").put("address", "ecb.bench.confirm")
          .put("replyAddress", confirmReply).put("body", new JsonObject())));
        // Every 5 s like vertx-eventbus.js, each connection at its own phase (spread over the
        // first 5 s) so that no gap between pings comes near the server's 10 s timeout.
        long period = 5000;
        String ping = "[\"{\\\"type\\\":\\\"ping\\\"}\"]";
        vertx.setTimer(1 + ThreadLocalRandom.current().nextLong(period), t -> {
          c.send(ping);
          vertx.setPeriodic(period, p -> {
            if (c.ws.isClosed()) vertx.cancelTimer(p);
            else c.send(ping);
          });
        });
      } else if (text.startsWith("c[")) {
        if (c.ready.future().succeeded()) System.err.println("client " + c.index + " SockJS close: " + text);
        c.ready.tryFail("closed by server: " + text);
      }
    }
  }

  /** Connects {@code --subs} clients; returns how many are ready (connected and subscribed). */
  int connectAll(EcbProtocol protocol) throws Exception {
    int subs = args.getInt("subs", 1000);
    int first = args.getInt("first", 0);
    String host = args.get("host", "127.0.0.1");
    int port = args.getInt("port", 8080);
    int sources = args.getInt("sources", 4);
    int sourceBase = args.getInt("source-base", 10);
    TokenMinter signer = StubBackend.signer(vertx, Files.readString(Path.of(args.get("key", "target/bench/private.pem"))));
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
    long t0 = System.nanoTime();
    java.util.Map<String, String> threadTokens = new java.util.HashMap<>();
    for (int i = 0; i < subs; i++) {
      Conn c = new Conn(first + i);
      c.token = StubBackend.userToken(signer, c.userId, args.get("channel", "bench"));
      // Thread t<k> has members u<4k>..u<4k+3>: the stub's model, signed with the stub's key
      // (the claims the stub returns from getThread / addThreadMessage).
      String threadId = "t" + (c.index / 4);
      c.threadToken = threadTokens.computeIfAbsent(threadId, id -> StubBackend.threadToken(signer, id, StubBackend.members(id)));
      c.address = "ecb.thread." + threadId;
      conns.add(c);
      inFlight.acquire();
      WebSocketClient client = clients.get(i % sources);
      // Handlers go on before connecting: the server's first frame (SockJS "o", Engine.IO open)
      // can arrive with the handshake, before a connect() callback would attach them.
      ClientWebSocket ws = client.webSocket();
      c.ws = ws;
      ws.textMessageHandler(text -> protocol.onText(c, text));
      ws.exceptionHandler(e -> c.ready.tryFail(e));
      ws.closeHandler(v -> {
        if (closedCount.incrementAndGet() <= 3 && c.ready.future().succeeded()) {
          System.err.println("client " + c.index + " closed by server: " + ws.closeStatusCode() + " " + ws.closeReason());
        }
        c.ready.tryFail("closed " + ws.closeStatusCode() + " " + ws.closeReason());
      });
      ws.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(protocol.uri(c.index)))
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

  // ---- chat (S3) -----------------------------------------------------------------------------

  /**
   * S3: every member sends through {@code ecb.sendMessage} on one fixed schedule; deliveries at the
   * other members are timed from the message's intended send time (coordinated-omission corrected
   * as in S2). The sender's own copy (it is a member too) and the sendMessage reply are not
   * counted as deliveries; the reply's latency is kept apart.
   */
  final class Chat {
    static final String REPLY = "bench.sent";
    static final String TEXT = "%TEXT%";
    static final String REPLY_MATCH = "\\\"address\\\":\\\"" + REPLY + "\\\"";
    final Recorder replyRecorder = new Recorder(120_000_000L, 3);
    /** How late after its intended time each send left this client: the client's own share of the latency. */
    final Recorder sendLag = new Recorder(120_000_000L, 3);
    final AtomicLong sent = new AtomicLong();
    final AtomicLong expected = new AtomicLong();
    final AtomicLong replies = new AtomicLong();
    final AtomicLong sendErrors = new AtomicLong();
    final AtomicLong ownCopies = new AtomicLong();
    final String pad = "x".repeat(Math.max(0, args.getInt("message-bytes", 100) - 30));
    /**
     * With {@code --slow-log=FILE}: every delivery of the measured period slower than
     * {@code --slow-log-ms} (5), as "intended-ms received-ms latency-us" in wall-clock time, to be
     * lined up with the server's GC log ({@code -Xlog:gc:file=...:time}) or other events.
     */
    final String slowLogFile = args.get("slow-log", "");
    final long slowNanos = args.getInt("slow-log-ms", 5) * 1_000_000L;
    volatile StringBuilder slow;
    final HttpClientOptions stubOptions = new HttpClientOptions().setDefaultHost("127.0.0.1")
      .setDefaultPort(args.getInt("stub-port", 8091));

    /** A sendMessage reply (or its err). */
    void replied(String text) {
      if (text.contains("\\\"type\\\":\\\"err\\\"")) {
        if (sendErrors.incrementAndGet() <= 3) System.err.println("sendMessage failed: " + text);
      } else {
        long stamp = stamp(text);
        if (stamp > 0) replyRecorder.recordValue(Math.max(1, (System.nanoTime() - stamp) / 1000));
      }
      replies.incrementAndGet();
    }

    /** A message on ecb.thread.<id> at member {@code c}. */
    void delivered(Conn c, String text) {
      // "@@<intended>@@<sender>#": the stamp, then the sender after the second mark.
      int i = text.indexOf(MARK);
      long stamp = number(text, i + MARK.length());
      long sender = number(text, text.indexOf(MARK, i + MARK.length()) + MARK.length());
      long now = System.nanoTime();
      if (sender == c.index) {
        ownCopies.incrementAndGet();
        return;
      }
      recorder.recordValue(Math.max(1, (now - stamp) / 1000));
      StringBuilder log = slow;
      if (log != null && now - stamp > slowNanos) {
        long wall = System.currentTimeMillis();
        synchronized (log) {
          log.append(wall - (now - stamp) / 1_000_000).append(' ').append(wall).append(' ').append((now - stamp) / 1000).append('\n');
        }
      }
      received.incrementAndGet();
      lastReceiveNanos.set(now);
    }

    void send(Conn c, long intended) {
      if (c.sendFrame == null) {
        // The frame around the text is the same for every send of a member: encoded once, with a
        // placeholder for the text (digits, '@', '#' and 'x', which JSON does not escape).
        JsonObject headers = new JsonObject().put("userToken", c.token).put("threadToken", c.threadToken);
        JsonObject body = new JsonObject().put("message", new JsonObject().put("type", "text")
          .put("data", new JsonObject().put("messageText", TEXT)));
        String frame = new JsonArray().add(new JsonObject().put("type", "send").put("address", "ecb.sendMessage")
          .put("headers", headers).put("body", body).put("replyAddress", REPLY).encode()).encode();
        int at = frame.indexOf(TEXT);
        c.sendFrame = new String[] {frame.substring(0, at), frame.substring(at + TEXT.length())};
      }
      c.send(c.sendFrame[0] + MARK + intended + MARK + c.index + "#" + pad + c.sendFrame[1]);
      sendLag.recordValue(Math.max(1, (System.nanoTime() - intended) / 1000));
    }

    /**
     * ECB's own histogram of its addThreadMessage webhook calls ({@code ecb_webhook_seconds_bucket} on
     * its /metrics, cumulative): upper bound in seconds to count. Empty if it cannot be read.
     */
    TreeMap<Double, Long> webhookBuckets() {
      TreeMap<Double, Long> buckets = new TreeMap<>();
      HttpClient ecb = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(args.get("host", "127.0.0.1"))
        .setDefaultPort(args.getInt("port", 8080)));
      try {
        String text = ecb.request(HttpMethod.GET, "/metrics").compose(req -> req.send()).compose(resp -> resp.body())
          .timeout(10, TimeUnit.SECONDS).await().toString();
        for (String line : text.split("\n")) {
          if (!line.startsWith("ecb_webhook_seconds_bucket{") || !line.contains("operation=\"addThreadMessage\"")
            || !line.contains("outcome=\"ok\"")) continue;
          int le = line.indexOf("le=\"") + 4;
          String bound = line.substring(le, line.indexOf('"', le));
          buckets.put(bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound),
            (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
        }
      } catch (Exception e) {
        System.err.println("ECB metrics failed: " + e);
      } finally {
        ecb.close();
      }
      return buckets;
    }

    /** The 99th percentile, in ms, of what went into a cumulative histogram between two readings (a bucket's upper bound). */
    static double p99(TreeMap<Double, Long> before, TreeMap<Double, Long> after) {
      long total = after.getOrDefault(Double.POSITIVE_INFINITY, 0L) - before.getOrDefault(Double.POSITIVE_INFINITY, 0L);
      if (total <= 0) return -1;
      for (var e : after.entrySet()) {
        if (e.getValue() - before.getOrDefault(e.getKey(), 0L) >= Math.ceil(total * 0.99)) return e.getKey() * 1000;
      }
      return -1;
    }

    /** The stub's /bench/stats (resets its recorders). */
    JsonObject stubStats() {
      // A request on a pooled connection once never completed and hung a run: each call gets its
      // own client and an overall time limit, and is tried again on failure.
      for (int attempt = 1; ; attempt++) {
        HttpClient stub = vertx.createHttpClient(stubOptions);
        try {
          return stub.request(HttpMethod.GET, "/bench/stats")
            .compose(req -> req.send()).compose(resp -> resp.body())
            .map(Buffer::toJsonObject)
            .timeout(10, TimeUnit.SECONDS)
            .await();
        } catch (Exception e) {
          System.err.println("stub stats failed (attempt " + attempt + "): " + e);
          if (attempt == 3) return new JsonObject();
        } finally {
          stub.close();
        }
      }
    }

    /** One phase of {@code seconds}; prints a CHAT (or CHAT-WARMUP) line. */
    void phase(List<Conn> senders, int[] othersReady, double seconds, boolean warmup) throws Exception {
      long intervalNs = args.getInt("interval-ms", 1000) * 1_000_000L;
      int n = senders.size();
      long total = Math.round(seconds * 1e9 / intervalNs) * n;
      recorder.getIntervalHistogram();
      replyRecorder.getIntervalHistogram();
      sendLag.getIntervalHistogram();
      received.set(0);
      ownCopies.set(0);
      sent.set(0);
      expected.set(0);
      replies.set(0);
      long errorsBefore = sendErrors.get();
      stubStats(); // reset the stub's recorders: what it prints next covers this phase only
      TreeMap<Double, Long> webhookBefore = webhookBuckets();
      if (!warmup && !slowLogFile.isEmpty()) slow = new StringBuilder();
      long start = System.nanoTime() + 20_000_000L;
      CountDownLatch allSent = new CountDownLatch(1);
      AtomicLong issued = new AtomicLong();
      // Message m is member (m mod n)'s, due at start + m * interval / n: each member sends once per
      // interval, and the members' sends are spread evenly over it. The warm-up ramps up to that
      // rate (one slot in ten used in its first tenth, two in ten in the next, ...), so that a cold
      // server is not met with the full rate at once; the measured phase runs at the full rate.
      vertx.runOnContext(x -> vertx.setPeriodic(1, id -> {
        long now = System.nanoTime();
        while (sent.get() < total) {
          long m = sent.get();
          long intended = start + m * intervalNs / n;
          if (intended > now) break;
          int who = (int) (m % n);
          if (!warmup || m % 10 < 1 + (long) (10.0 * (intended - start) / (seconds * 1e9))) {
            send(senders.get(who), intended);
            expected.addAndGet(othersReady[who]);
            issued.incrementAndGet();
          }
          sent.incrementAndGet();
        }
        if (sent.get() >= total) {
          vertx.cancelTimer(id);
          allSent.countDown();
        }
      }));
      allSent.await();
      long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(args.getInt("drain-seconds", 10));
      while ((received.get() < expected.get() || replies.get() < issued.get()) && System.nanoTime() < drainUntil) Thread.sleep(20);
      Histogram h = recorder.getIntervalHistogram();
      Histogram r = replyRecorder.getIntervalHistogram();
      Histogram lag = sendLag.getIntervalHistogram();
      StringBuilder log = slow;
      if (log != null) {
        slow = null;
        synchronized (log) {
          Files.writeString(Path.of(slowLogFile), log);
        }
      }
      JsonObject stubAll = stubStats();
      double webhookP99 = p99(webhookBefore, webhookBuckets());
      JsonObject arrival = stubAll.getJsonObject("arrival", new JsonObject());
      JsonObject add = stubAll.getJsonObject("ops", new JsonObject()).getJsonObject("addThreadMessage", new JsonObject());
      double elapsed = Math.max(seconds, (lastReceiveNanos.get() - start) / 1e9);
      double stubP99 = add.getLong("p99us", 0L) / 1000.0;
      double p99 = h.getValueAtPercentile(99) / 1000.0;
      long lost = Math.max(0, expected.get() - received.get());
      long errors = sendErrors.get() - errorsBefore;
      System.out.printf(Locale.ROOT,
        "%s threads=%d members=%d interval_ms=%d seconds=%.0f sent=%d expected=%d delivered=%d delivered_per_s=%.0f"
          + " p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f lost=%d send_errors=%d replies=%d own_copies=%d"
          + " reply_p50_ms=%.2f reply_p99_ms=%.2f stub_add_count=%d stub_add_p50_ms=%.3f stub_add_p99_ms=%.3f"
          + " stub_add_p999_ms=%.3f send_lag_p50_ms=%.2f send_lag_p99_ms=%.2f to_stub_p50_ms=%.2f to_stub_p99_ms=%.2f"
          + " ecb_webhook_p99_ms=%.2f stub_bad_signatures=%d closed_by_server=%d target_p99_ms=%.2f target_met=%s%n",
        warmup ? "CHAT-WARMUP" : "CHAT", (n + 3) / 4, n, intervalNs / 1_000_000, seconds, issued.get(), expected.get(), received.get(),
        received.get() / elapsed, h.getValueAtPercentile(50) / 1000.0, p99, h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0, lost, errors, replies.get(), ownCopies.get(),
        r.getValueAtPercentile(50) / 1000.0, r.getValueAtPercentile(99) / 1000.0,
        add.getLong("count", 0L), add.getLong("p50us", 0L) / 1000.0, stubP99, add.getLong("p999us", 0L) / 1000.0,
        lag.getValueAtPercentile(50) / 1000.0, lag.getValueAtPercentile(99) / 1000.0,
        arrival.getLong("p50us", 0L) / 1000.0, arrival.getLong("p99us", 0L) / 1000.0, webhookP99,
        stubAll.getLong("badSignatures", 0L), closedCount.get(), stubP99 + 5,
        (p99 <= stubP99 + 5 && lost == 0 && errors == 0) ? "yes" : "no");
    }

    void run() throws Exception {
      List<Conn> senders = new ArrayList<>();
      for (Conn c : conns) if (c.ready.future().succeeded()) senders.add(c);
      int[] othersReady = new int[senders.size()];
      for (int i = 0; i < senders.size(); i++) {
        int thread = senders.get(i).index / 4;
        for (Conn o : senders) if (o != senders.get(i) && o.index / 4 == thread) othersReady[i]++;
      }
      if (senders.isEmpty()) throw new IllegalStateException("no member is connected");
      phase(senders, othersReady, args.getDouble("warmup-seconds", 5), true);
      phase(senders, othersReady, args.getDouble("seconds", 30), false);
    }
  }

  /**
   * A Vert.x for a bench process with {@code loops} event loops, on epoll where it loads: on NIO's
   * selector S3's load client took about three times the CPU, on the core the stub shares.
   */
  static Vertx vertx(int loops) {
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(loops).setBlockedThreadCheckInterval(10_000);
    Transport epoll = Transport.EPOLL;
    return Vertx.builder().with(options).withTransport(epoll != null && epoll.available() ? epoll : Transport.NIO).build();
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int loops = args.getInt("loops", Runtime.getRuntime().availableProcessors());
    Vertx vertx = vertx(loops);
    LoadClient load = new LoadClient(vertx, args);
    load.chat = load.new Chat();
    int members = 4 * args.getInt("threads", 500);
    args.put("subs", String.valueOf(members));
    int ready = load.connectAll(load.new EcbProtocol());
    if (ready < members) System.out.println("WARN only " + ready + " of " + members + " members ready");
    load.chat.run();
    vertx.close().await();
    System.exit(0);
  }
}
