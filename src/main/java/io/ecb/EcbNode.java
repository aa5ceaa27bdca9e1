package io.ecb;

import io.ecb.auth.FailedChecks;
import io.ecb.auth.TokenVerifier;
import io.ecb.backend.BackendClient;
import io.ecb.bridge.BridgeServer;
import io.ecb.chat.ChatService;
import io.ecb.chat.SendDedup;
import io.ecb.cluster.ClusterSecrets;
import io.ecb.cluster.ClusterSetup;
import io.ecb.cluster.HazelcastEngine;
import io.ecb.config.EcbConfig;
import io.ecb.delivery.Fanout;
import io.ecb.delivery.Publisher;
import io.ecb.engine.Engine;
import io.ecb.engine.StreamLog;
import io.ecb.demo.DemoBackend;
import io.ecb.http.ChatApi;
import io.ecb.http.ClientAddress;
import io.ecb.http.ConnectionGuard;
import io.ecb.http.EventStreams;
import io.ecb.http.HttpVerticle;
import io.ecb.ops.NodeHealth;
import io.ecb.ops.NodeMetrics;
import io.ecb.presence.ThreadPresence;
import io.ecb.push.PushApi;
import io.ecb.push.PushService;
import io.ecb.push.n10n.NotificationsSseProfile;
import io.ecb.push.notify.ChannelNotifyProfile;
import io.ecb.push.sender.ChannelSenderProfile;
import io.ecb.push.webpush.WebPushChannelsProfile;
import io.ecb.socketio.SocketIoServer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.logging.Logger;

/**
 * One ECB node on a (clustered) Vert.x: the services wired together and the HTTP verticles that
 * serve them. Everything a node holds in memory is per-connection or a cache; what must survive a
 * node (offsets, history, dedup) lives in Hazelcast.
 */
public final class EcbNode {

  private static final Logger LOG = Logger.getLogger(EcbNode.class.getName());

  public final Vertx vertx;
  public final EcbConfig config;
  /** What the node keeps cluster-wide: stream log, once-store, the push profiles' state. */
  public final Engine engine;
  public final ChatService chat;
  /** Who follows which thread, cluster-wide, and the presence events. */
  public final ThreadPresence presence;
  public final BackendClient backend;
  public final Fanout fanout;
  public final Publisher publisher;
  public final BridgeServer bridge;
  public final EventStreams events;
  public final ChatApi api;
  /** Which proxies' forwarding headers name the client (http.trustedProxies). */
  public final ClientAddress clientAddress;
  /** Per-address connection count and header deadline, shared by every HTTP server instance. */
  public final ConnectionGuard connections;
  /** The demo customer backend, when demo.enabled. */
  public final DemoBackend demo;
  public final PushService push;
  public final PushApi pushApi;
  public final ChannelNotifyProfile notify;
  public final WebPushChannelsProfile webPush;
  public final NotificationsSseProfile n10n;
  public final ChannelSenderProfile channelSender;
  public final SocketIoServer socketIo;
  public final NodeHealth health;
  public final NodeMetrics metrics;
  private final long[] timers = new long[4];
  private String deploymentId;
  private int actualPort;

  private EcbNode(Vertx vertx, EcbConfig config, ClientAddress clientAddress, TokenVerifier tokens) {
    this.vertx = vertx;
    this.config = config;
    this.clientAddress = clientAddress;
    this.engine = new HazelcastEngine(vertx, config.history);
    StreamLog log = engine.streams();
    this.publisher = new Publisher(vertx, log);
    this.fanout = new Fanout(vertx, log, config.history.gapWaitMs);
    this.backend = new BackendClient(vertx, config.backend);
    this.presence = new ThreadPresence(engine.presence(), publisher, fanout);
    this.chat = new ChatService(tokens, backend, publisher, new SendDedup(engine.once(), config.limits.dedupSeconds, config.limits.dedupPerUser),
      presence, config);
    this.bridge = new BridgeServer(vertx, chat, fanout, config);
    this.events = new EventStreams(vertx, chat, fanout, log, config);
    this.api = new ChatApi(chat, events, config);
    this.connections = new ConnectionGuard(config, clientAddress);
    this.demo = config.demo.enabled ? new DemoBackend(vertx, config) : null;
    this.push = new PushService(vertx, publisher, fanout, engine);
    this.pushApi = new PushApi(push, config);
    this.notify = new ChannelNotifyProfile(this);
    this.webPush = new WebPushChannelsProfile(this);
    this.n10n = new NotificationsSseProfile(this);
    this.channelSender = new ChannelSenderProfile(this);
    this.socketIo = new SocketIoServer(vertx, chat, fanout, log, notify, config);
    this.health = new NodeHealth(vertx, this);
    this.metrics = new NodeMetrics(this);
  }

  /** Starts the node's services and HTTP server on an already clustered Vert.x. */
  public static Future<EcbNode> start(Vertx vertx, EcbConfig config) {
    if (config.backend.url == null) return Future.failedFuture("backend.url is not set");
    // Unsigned webhooks would let anyone who reaches the backend pose as ECB.
    if (config.backend.webhookSecrets.isEmpty()) return Future.failedFuture("backend.webhookSecret is not set");
    // Nodes with different signing secrets would reject each other's tokens at random.
    try {
      ClusterSecrets.of(config).checkAgainst(ClusterSetup.manager(vertx).getHazelcastInstance());
    } catch (IllegalStateException e) {
      return Future.failedFuture(e);
    }
    ClientAddress clientAddress;
    try {
      clientAddress = ClientAddress.trusting(config.http.trustedProxies);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return TokenVerifier.create(vertx, config.auth, new FailedChecks(config.limits.failedAuthPerSecond)).compose(tokens -> {
      EcbNode node = new EcbNode(vertx, config, clientAddress, tokens);
      return node.channelSender.started().compose(v -> node.deploy()).map(node);
    });
  }

  private Future<Void> deploy() {
    int instances = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 4));
    Promise<Integer> port = Promise.promise();
    return vertx.deployVerticle(() -> new HttpVerticle(this, port), new DeploymentOptions().setInstances(instances))
      .compose(id -> {
        deploymentId = id;
        return port.future();
      })
      .map(p -> {
        actualPort = p;
        timers[0] = vertx.setPeriodic(BridgeServer.SWEEP_MS, t -> bridge.sweepPings());
        timers[1] = vertx.setPeriodic(bridge.heartbeatTurnMs(), t -> bridge.heartbeatTurn());
        timers[2] = vertx.setPeriodic(60_000, t -> chat.sweep());
        timers[3] = vertx.setPeriodic(SocketIoServer.SWEEP_MS, t -> socketIo.sweep());
        LOG.info("ECB listening on port " + p);
        return null;
      });
  }

  /** The HTTP port actually bound (differs from config when it was 0). */
  public int port() {
    return actualPort;
  }

  /** Stops accepting, tells clients to reconnect elsewhere, and undeploys the HTTP server. */
  public Future<Void> stop() {
    for (long t : timers) vertx.cancelTimer(t);
    health.draining();
    n10n.close();
    webPush.close();
    channelSender.close();
    bridge.drain();
    socketIo.drain();
    events.drain();
    Future<Void> undeployed = deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
    return undeployed.eventually(() -> {
      health.close();
      push.close();
      notify.close();
      return backend.close();
    });
  }
}
