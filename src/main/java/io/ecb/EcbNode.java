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
import io.ecb.demo.DemoBackend;
import io.ecb.engine.Engine;
import io.ecb.engine.StreamLog;
import io.ecb.http.ChatApi;
import io.ecb.http.ClientAddress;
import io.ecb.http.ConnectionGuard;
import io.ecb.http.EventStreams;
import io.ecb.http.HttpVerticle;
import io.ecb.module.Module;
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
import io.vertx.ext.web.Router;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * One ECB node on a (clustered) Vert.x: the composition root. It builds each {@link Module} with
 * the collaborators that module needs, starts them in order, opens the HTTP port on their routes,
 * and on stop closes them in the reverse order before closing the port. Everything a node holds in
 * memory is per-connection or a cache; what must survive a node (offsets, history, dedup) lives in
 * the engine (Hazelcast).
 */
public final class EcbNode {

  private static final Logger LOG = Logger.getLogger(EcbNode.class.getName());

  private final Vertx vertx;
  private final EcbConfig config;
  private final ClientAddress clientAddress;
  private final ConnectionGuard connections;
  private final Publisher publisher;
  private final Fanout fanout;
  private final BackendClient backend;
  private final ChatService chat;
  /** Who follows which thread, cluster-wide, and the presence events. */
  private final ThreadPresence presence;
  private final BridgeServer bridge;
  private final SocketIoServer socketIo;
  private final WebPushChannelsProfile webPush;
  private final NotificationsSseProfile n10n;
  private final ChannelSenderProfile channelSender;
  /** Start order; the node stops them in reverse, and mounts their routes in this order. */
  private final List<Module> modules;
  private String deploymentId;
  private int actualPort;

  private EcbNode(Vertx vertx, EcbConfig config, ClientAddress clientAddress, TokenVerifier tokens) {
    this.vertx = vertx;
    this.config = config;
    this.clientAddress = clientAddress;
    this.connections = new ConnectionGuard(config, clientAddress);
    Engine engine = new HazelcastEngine(vertx, config.history);
    StreamLog log = engine.streams();
    this.fanout = new Fanout(vertx, log, config.history.gapWaitMs, config.delivery.lingerMs, config.delivery.lingerFollowers);
    this.publisher = new Publisher(vertx, log, fanout);
    this.backend = new BackendClient(vertx, config.backend);
    this.presence = new ThreadPresence(engine.presence(), publisher, fanout);
    this.chat = new ChatService(vertx, tokens, backend, publisher,
      new SendDedup(engine.once(), config.limits.dedupSeconds, config.limits.dedupPerUser), presence, config);
    PushService push = new PushService(vertx, publisher, fanout, engine);
    this.bridge = new BridgeServer(vertx, chat, fanout, config);
    ChannelNotifyProfile notify = new ChannelNotifyProfile(vertx, engine, chat, fanout, bridge, config);
    this.socketIo = new SocketIoServer(vertx, chat, fanout, log, notify, config);
    this.webPush = new WebPushChannelsProfile(vertx, engine, chat, publisher, config);
    this.n10n = new NotificationsSseProfile(vertx, engine, chat, fanout, config);
    this.channelSender = new ChannelSenderProfile(vertx, engine, tokens.failedChecks(), config);
    EventStreams events = new EventStreams(vertx, chat, fanout, log, config);
    List<Module> all = new ArrayList<>(List.of(
      backend, chat, push,
      bridge, socketIo, new PushApi(push, config), notify, webPush, n10n, channelSender,
      new ChatApi(chat, config), events,
      // Last to start, first to stop: the node reports ready once everything else serves, and
      // stops reporting ready before any client is told to go elsewhere.
      new NodeHealth(vertx, engine, backend),
      new NodeMetrics(bridge, events, socketIo, fanout, log, tokens, connections, backend, engine)));
    if (config.demo.enabled) all.add(new DemoBackend(vertx, config));
    this.modules = List.copyOf(all);
  }

  /** Starts the node's modules and HTTP server on an already clustered Vert.x. */
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
      return node.startModules().compose(v -> node.deploy()).map(node);
    });
  }

  /** Starts each module once the one before it started; on a failure stops those started, in reverse. */
  private Future<Void> startModules() {
    List<Module> started = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Module m : modules) {
      chain = chain.compose(v -> m.start().onSuccess(x -> started.add(m)));
    }
    return chain.recover(e -> stopModules(started).transform(x -> Future.failedFuture(e)));
  }

  /** Stops {@code started} in reverse order, each after the one before it finished, whatever its outcome. */
  private static Future<Void> stopModules(List<Module> started) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = started.size() - 1; i >= 0; i--) {
      Module m = started.get(i);
      chain = chain.transform(x -> m.stop());
    }
    return chain.otherwiseEmpty();
  }

  private Future<Void> deploy() {
    int instances = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 4));
    Promise<Integer> port = Promise.promise();
    return vertx.deployVerticle(() -> new HttpVerticle(config, clientAddress, connections, modules, port),
        new DeploymentOptions().setInstances(instances))
      .compose(id -> {
        deploymentId = id;
        return port.future();
      })
      .map(p -> {
        actualPort = p;
        LOG.info("ECB listening on port " + p);
        return null;
      });
  }

  /** The HTTP port actually bound (differs from config when it was 0). */
  public int port() {
    return actualPort;
  }

  /**
   * Reports not ready, tells clients to reconnect elsewhere and releases what the modules hold (in
   * the reverse of their start order), then closes the HTTP port.
   */
  public Future<Void> stop() {
    return stopModules(modules).compose(v -> deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId));
  }

  // What tests observe of a running node.

  /** A router with every route the node serves, as each of its HTTP server instances has one. */
  public Router router() {
    return HttpVerticle.router(vertx, clientAddress, modules);
  }

  public Publisher publisher() {
    return publisher;
  }

  public Fanout fanout() {
    return fanout;
  }

  public ThreadPresence presence() {
    return presence;
  }

  public ChatService chat() {
    return chat;
  }

  public BackendClient backend() {
    return backend;
  }

  public ConnectionGuard connections() {
    return connections;
  }

  public BridgeServer bridge() {
    return bridge;
  }

  public SocketIoServer socketIo() {
    return socketIo;
  }

  public WebPushChannelsProfile webPush() {
    return webPush;
  }

  public NotificationsSseProfile n10n() {
    return n10n;
  }

  public ChannelSenderProfile channelSender() {
    return channelSender;
  }
}
