package io.ecb.cluster;

import io.ecb.support.BridgeClient;
import io.ecb.support.NodeProcess;
import io.ecb.support.SseClient;
import io.ecb.support.StubBackend;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling restart of a three-node cluster, each node its own JVM: every node in turn gets
 * SIGTERM, exits after draining, is started again and becomes ready, while senders keep sending
 * thread messages over the bridge and publishing to a user stream over HTTP through every node.
 * Clients of a stopping node reconnect to another one and recover (getThread sinceOffset over the
 * bridge, Last-Event-ID over SSE). At the end every client holds every accepted message exactly
 * once, in offset order; a send that got an error (refused while a node drained) counts for nothing.
 */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RollingRestartTest {

  private static final String THREAD = "t-rolling";
  private static final String WATCHER = "u-watch";
  private static final String PUBLISHER_KEY = "pub-rolling";
  private static final int NODES = 3;

  private Vertx vertx;
  private WebClient http;
  private StubBackend backend;
  private final List<NodeProcess> nodes = new ArrayList<>();
  /** Nodes clients may use: a node leaves this set just before its SIGTERM, and rejoins once ready. */
  private final Set<Integer> up = ConcurrentHashMap.newKeySet();
  private String threadToken;
  /** Senders and publishers keep going while this holds. */
  private volatile boolean running = true;
  /** Readers reconnect until the test is over. */
  private volatile boolean finished;
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  void startCluster() throws Exception {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx);
    backend = new StubBackend(vertx, TestKeys.rsa()).start().await();
    String cluster = TestNode.newClusterName();
    for (int i = 0; i < NODES; i++) {
      JsonObject config = TestNode.config(cluster, backend.url(), TestKeys.rsa());
      config.put("publishers", new JsonArray().add(PUBLISHER_KEY));
      // A short drain keeps the test short; history large enough for any reconnect's gap.
      config.getJsonObject("shutdown").put("drainSeconds", 5);
      config.getJsonObject("history").put("size", 5000);
      nodes.add(new NodeProcess(config));
    }
    // One after the other, so that each joins the cluster the previous ones formed.
    for (int i = 0; i < NODES; i++) {
      nodes.get(i).launch();
      nodes.get(i).ready(vertx, http, 90_000).await();
      up.add(i);
    }
    threadToken = backend.addThread(THREAD, "u0", "u1", "u2", "r0", "r1", "r2").getString("threadToken");
  }

  @AfterAll
  void stop() {
    running = false;
    finished = true;
    nodes.forEach(NodeProcess::destroy);
    backend.close().await();
    vertx.close().await();
  }

  @Test
  void noAcceptedMessageIsLostWhileEveryNodeRestartsInTurn() throws Exception {
    List<ThreadReader> readers = new ArrayList<>();
    List<UserStreamReader> sse = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      ThreadReader r = new ThreadReader("r" + i);
      r.connect(i).await();
      readers.add(r);
      UserStreamReader s = new UserStreamReader("sse" + i);
      s.connect(i).await();
      sse.add(s);
    }
    List<ThreadSender> senders = new ArrayList<>();
    List<Publisher> publishers = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      ThreadSender s = new ThreadSender(i);
      s.start();
      senders.add(s);
      Publisher p = new Publisher(i);
      p.start();
      publishers.add(p);
    }
    progress(senders, publishers);

    for (int victim = 0; victim < NODES; victim++) {
      up.remove(victim);
      int exit = nodes.get(victim).terminate().await(60, TimeUnit.SECONDS);
      assertThat(exit).as("node %d exit code after SIGTERM:\n%s", victim, nodes.get(victim).output()).isNotEqualTo(137);
      assertThat(nodes.get(victim).output()).contains("left the cluster").doesNotContain("did not finish");
      nodes.get(victim).launch();
      nodes.get(victim).ready(vertx, http, 90_000).await();
      up.add(victim);
      // The sender and publisher that belong to the restarted node go back to it.
      senders.get(victim).home();
      publishers.get(victim).preferHome = true;
      progress(senders, publishers);
      assertThat(senders.get(victim).acceptedBy[victim].get()).as("sends accepted by restarted node %d", victim).isPositive();
    }

    running = false;
    List<Future<Void>> stopped = new ArrayList<>();
    senders.forEach(s -> stopped.add(s.stopped.future()));
    publishers.forEach(p -> stopped.add(p.stopped.future()));
    Future.all(stopped).await(30, TimeUnit.SECONDS);
    assertThat(problems).as("problems seen by clients").isEmpty();

    // What was accepted: the thread's messages by offset, the publishes by messageId.
    Map<Long, String> acceptedThread = new TreeMap<>();
    senders.forEach(s -> acceptedThread.putAll(s.accepted));
    Set<String> acceptedPublishes = new HashSet<>();
    publishers.forEach(p -> acceptedPublishes.addAll(p.accepted));
    assertThat(acceptedThread).hasSizeGreaterThan(30);
    assertThat(acceptedPublishes).hasSizeGreaterThan(30);
    int refused = senders.stream().mapToInt(s -> s.refused.get()).sum() + publishers.stream().mapToInt(p -> p.refused.get()).sum();

    // The thread's last offset (sends that failed on the client's side may still have been stored).
    BridgeClient probe = BridgeClient.connect(vertx, nodes.get(0).port).await();
    long last = probe.request("ecb.getThread", member("r0"), new JsonObject()).await().getLong("offset");
    probe.close().await();

    for (ThreadReader r : readers) {
      settle(r.reached(last));
      synchronized (r) {
        assertThat(r.got.keySet()).as("%s: offsets 1..%d, each once", r.user, last)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
        assertThat(new HashSet<>(r.got.values())).as("%s: no message at two offsets", r.user).hasSize(r.got.size());
        assertThat(r.got).as("%s: every accepted message at its offset (%d refused sends)", r.user, refused)
          .containsAllEntriesOf(acceptedThread);
        assertThat(r.reconnects).as("%s reconnected", r.user).isPositive();
      }
    }
    for (UserStreamReader s : sse) {
      settle(s.received(acceptedPublishes));
      synchronized (s) {
        assertThat(s.got.keySet()).as("%s: offsets 1..n, each once", s.name)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, s.got.lastKey()).boxed().toList());
        assertThat(new HashSet<>(s.got.values())).as("%s: no message at two offsets", s.name).hasSize(s.got.size());
        assertThat(s.got.values()).containsAll(acceptedPublishes);
        assertThat(s.reconnects).as("%s reconnected", s.name).isPositive();
      }
    }
    assertThat(problems).as("problems seen by clients").isEmpty();
  }

  /** Waits up to 30 s for a client to catch up; if it does not, the assertions after say what it lacks. */
  private static void settle(Future<Void> caughtUp) {
    try {
      caughtUp.await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // reported by the assertions that follow
    }
  }

  /** Waits until every sender and publisher has had 20 more messages accepted. */
  private void progress(List<ThreadSender> senders, List<Publisher> publishers) throws Exception {
    List<Future<Void>> all = new ArrayList<>();
    senders.forEach(s -> all.add(s.acceptedMore(20)));
    publishers.forEach(p -> all.add(p.acceptedMore(20)));
    Future.all(all).await(60, TimeUnit.SECONDS);
  }

  private JsonObject member(String userId) {
    return new JsonObject().put("userToken", backend.userToken(userId)).put("threadToken", threadToken);
  }

  /** A node that is up, {@code preferred} when it is; the next one up otherwise. */
  private int pick(int preferred) {
    for (int k = 0; k < NODES; k++) {
      int n = (preferred + k) % NODES;
      if (up.contains(n)) return n;
    }
    return preferred;
  }

  /** Futures that complete once a count, told to them as it grows, reaches their targets. */
  private static final class Waiters {
    private record Waiter(long target, Promise<Void> promise) {
    }

    private final List<Waiter> waiting = new ArrayList<>();

    /** Completes once {@link #counted} is told of {@code target} or more. */
    synchronized Future<Void> until(long target) {
      Waiter w = new Waiter(target, Promise.promise());
      waiting.add(w);
      return w.promise.future();
    }

    synchronized void counted(long count) {
      waiting.removeIf(w -> {
        if (count >= w.target) w.promise.tryComplete();
        return w.promise.future().isComplete();
      });
    }
  }

  // ---- senders

  /** Sends thread messages over the bridge, one at a time, 20 ms apart, through its current node. */
  private final class ThreadSender {
    final int index;
    final String user;
    final Map<Long, String> accepted = new ConcurrentHashMap<>();
    final AtomicInteger[] acceptedBy = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
    final AtomicInteger refused = new AtomicInteger();
    final Promise<Void> stopped = Promise.promise();
    final Waiters waiters = new Waiters();
    BridgeClient client;
    int node;
    int seq;
    volatile boolean goHome;

    ThreadSender(int index) {
      this.index = index;
      this.user = "u" + index;
    }

    void start() {
      vertx.runOnContext(v -> connect(index));
    }

    void home() {
      goHome = true;
    }

    synchronized Future<Void> acceptedMore(int n) {
      return waiters.until(accepted.size() + n);
    }

    private synchronized void onAccepted() {
      waiters.counted(accepted.size());
    }

    private void connect(int preferred) {
      if (!running) {
        stopped.tryComplete();
        return;
      }
      node = pick(preferred);
      BridgeClient.connect(vertx, nodes.get(node).port).onComplete(ar -> {
        if (ar.failed()) {
          vertx.setTimer(100, t -> connect(node + 1));
        } else {
          client = ar.result();
          sendNext();
        }
      });
    }

    private void sendNext() {
      if (!running) {
        client.close();
        stopped.tryComplete();
        return;
      }
      if (goHome) {
        goHome = false;
        client.close();
        connect(index);
        return;
      }
      BridgeClient c = client;
      int at = node;
      String text = user + "-" + (++seq);
      // The next send goes out after the reply, or, when the node went away without one, on a new
      // connection to another node.
      Promise<Void> settled = Promise.promise();
      c.request("ecb.sendMessage", member(user), new JsonObject().put("clientMessageId", text)
          .put("message", new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", text))))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            accepted.put(ar.result().getLong("offset"), ar.result().getJsonObject("message").getString("messageId"));
            acceptedBy[at].incrementAndGet();
            onAccepted();
          } else {
            // Refused (e.g. while the node drains): the client knows, so nothing is owed.
            refused.incrementAndGet();
          }
          settled.tryComplete();
        });
      c.closed().onComplete(x -> settled.tryComplete());
      settled.future().onComplete(x -> {
        if (c.closed().isComplete()) connect(at + 1);
        else vertx.setTimer(20, t -> sendNext());
      });
    }
  }

  /** Publishes to the watcher's user stream over HTTP, one at a time, 20 ms apart, round the live nodes. */
  private final class Publisher {
    final int index;
    final Set<String> accepted = ConcurrentHashMap.newKeySet();
    final AtomicInteger refused = new AtomicInteger();
    final Promise<Void> stopped = Promise.promise();
    final Waiters waiters = new Waiters();
    volatile boolean preferHome = true;
    int seq;
    int next;

    Publisher(int index) {
      this.index = index;
      this.next = index;
    }

    void start() {
      vertx.runOnContext(v -> publishNext());
    }

    synchronized Future<Void> acceptedMore(int n) {
      return waiters.until(accepted.size() + n);
    }

    private synchronized void onAccepted() {
      waiters.counted(accepted.size());
    }

    private void publishNext() {
      if (!running) {
        stopped.tryComplete();
        return;
      }
      int node = pick(preferHome ? index : next);
      String messageId = "p" + index + "-" + (++seq);
      http.post(nodes.get(node).port, "127.0.0.1", "/api/v1/publish").timeout(10_000)
        .bearerTokenAuthentication(PUBLISHER_KEY)
        .sendJsonObject(new JsonObject().put("userId", WATCHER).put("event", "tick").put("data", new JsonObject().put("n", seq))
          .put("messageId", messageId))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result().statusCode() == 202) {
            accepted.add(messageId);
            onAccepted();
          } else {
            // Refused while the node drained, or no node listening: not accepted, and fine.
            refused.incrementAndGet();
            preferHome = false;
            next = node + 1;
          }
          vertx.setTimer(20, t -> publishNext());
        });
    }
  }

  // ---- readers

  /** Follows the thread over the bridge; on a drain, reconnects to another node and recovers. */
  private final class ThreadReader {
    final String user;
    final String address = "ecb.thread." + THREAD;
    /** offset → messageId: the client's copy of the thread, duplicates dropped by offset as the protocol intends. */
    final TreeMap<Long, String> got = new TreeMap<>();
    final Waiters waiters = new Waiters();
    String epoch;
    int reconnects;

    ThreadReader(String user) {
      this.user = user;
    }

    synchronized Future<Void> reached(long offset) {
      Future<Void> reached = waiters.until(offset);
      waiters.counted(contiguous());
      return reached;
    }

    /** The highest offset up to which nothing is missing. */
    private long contiguous() {
      long c = 0;
      while (got.containsKey(c + 1)) c++;
      return c;
    }

    private synchronized void add(JsonObject body, String how) {
      long offset = body.getLong("offset");
      String id = body.getJsonObject("message").getString("messageId");
      String before = got.putIfAbsent(offset, id);
      if (before != null && !before.equals(id)) {
        problems.add(user + ": offset " + offset + " was " + before + ", now " + id + " (" + how + ")");
      }
      waiters.counted(contiguous());
    }

    Future<Void> connect(int preferred) {
      int node = pick(preferred);
      Promise<Void> done = Promise.promise();
      BridgeClient.connect(vertx, nodes.get(node).port)
        .compose(c -> c.register(address, member(user)).map(c))
        .compose(c -> {
          long since;
          synchronized (this) {
            since = contiguous();
          }
          JsonObject query = new JsonObject();
          if (epoch != null) query.put("sinceOffset", since).put("epoch", epoch);
          return c.request("ecb.getThread", member(user), query).map(reply -> {
            synchronized (this) {
              if (epoch != null && !Boolean.TRUE.equals(reply.getBoolean("recovered"))) {
                problems.add(user + ": not recovered after offset " + since + " on node " + node + ": " + reply.encode());
              }
              epoch = reply.getString("epoch");
              JsonArray missed = reply.getJsonArray("missed");
              if (missed != null) missed.forEach(m -> add((JsonObject) m, "recovered"));
            }
            return c;
          });
        })
        .onSuccess(c -> {
          pump(c);
          c.closed().onComplete(x -> {
            synchronized (this) {
              reconnects++;
            }
            reconnect(node + 1);
          });
          done.complete();
        })
        .onFailure(e -> done.fail(e));
      return done.future();
    }

    private void reconnect(int preferred) {
      if (finished) return;
      connect(preferred).onFailure(e -> vertx.setTimer(100, t -> reconnect(preferred + 1)));
    }

    /** Live deliveries, which on one connection come in offset order. */
    private void pump(BridgeClient c) {
      pump(c, 0);
    }

    private void pump(BridgeClient c, long previous) {
      c.next(address).onSuccess(frame -> {
        JsonObject body = frame.getJsonObject("body");
        long offset = body.getLong("offset");
        if (offset <= previous) problems.add(user + ": live offset " + offset + " after " + previous + " on one connection");
        add(body, "live");
        pump(c, offset);
      });
    }
  }

  /** Follows the watcher's user stream over SSE; when a stream ends, resumes on another node with Last-Event-ID. */
  private final class UserStreamReader {
    final String name;
    final TreeMap<Long, String> got = new TreeMap<>();
    final List<Runnable> checks = new ArrayList<>();
    String lastEventId;
    int reconnects;
    final HttpClientAgent client = vertx.createHttpClient();

    UserStreamReader(String name) {
      this.name = name;
    }

    synchronized Future<Void> received(Set<String> ids) {
      Promise<Void> p = Promise.promise();
      Runnable check = () -> {
        if (got.values().containsAll(ids)) p.tryComplete();
      };
      checks.add(check);
      check.run();
      return p.future();
    }

    private synchronized void onEvent(SseClient.Event e) {
      if (e.data() == null || e.id() == null) return;
      JsonObject payload = new JsonObject(e.data());
      if ("reset".equals(payload.getString("kind"))) {
        problems.add(name + ": history lost: " + e.data());
        return;
      }
      long offset = Long.parseLong(e.id().substring(e.id().lastIndexOf(':') + 1));
      // The server resumes after Last-Event-ID itself: no repeat, no gap, even across nodes.
      long expected = got.isEmpty() ? offset : got.lastKey() + 1;
      if (offset != expected) problems.add(name + ": offset " + offset + " where " + expected + " was due");
      String id = payload.getString("messageId");
      String before = got.putIfAbsent(offset, id);
      if (before != null && !before.equals(id)) problems.add(name + ": offset " + offset + " was " + before + ", now " + id);
      lastEventId = e.id();
      checks.forEach(Runnable::run);
    }

    Future<Void> connect(int preferred) {
      int node = pick(preferred);
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(nodes.get(node).port)
        .setURI("/api/v1/events?user=true&access_token=" + backend.userToken(WATCHER));
      String resume;
      synchronized (this) {
        resume = lastEventId;
      }
      if (resume != null) options.addHeader("Last-Event-ID", resume);
      Promise<Void> opened = Promise.promise();
      SseClient.open(client, options, null, SseClient.listening(this::onEvent)).onComplete(ar -> {
        if (ar.failed() || ar.result().status != 200) {
          opened.tryFail(ar.failed() ? ar.cause().toString() : "status " + ar.result().status);
          return;
        }
        SseClient sse = ar.result();
        // The first bytes (a comment) come once the stream follows its subscriptions.
        sse.firstBytes.thenRun(opened::tryComplete);
        sse.ended.thenRun(() -> {
          synchronized (this) {
            reconnects++;
          }
          reconnect(node + 1);
        });
      });
      return opened.future();
    }

    private void reconnect(int preferred) {
      if (finished) return;
      connect(preferred).onFailure(e -> vertx.setTimer(100, t -> reconnect(preferred + 1)));
    }
  }
}
