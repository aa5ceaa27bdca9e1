package io.ecb.http;

import io.ecb.delivery.Connection;
import io.ecb.transport.SseStream;
import io.ecb.auth.Caller;
import io.ecb.auth.ChatUser;
import io.ecb.auth.VerifiedUser;
import io.ecb.chat.ChatService;
import io.ecb.error.EcbException;
import io.ecb.error.ErrorCode;
import io.ecb.config.EcbConfig;
import io.ecb.delivery.Delivery;
import io.ecb.delivery.Fanout;
import io.ecb.delivery.StreamGrant;
import io.ecb.engine.StreamLog;
import io.ecb.module.Module;
import io.ecb.delivery.Streams;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code GET /api/v1/events}: the subscription payloads of section 3 as Server-Sent Events, for
 * browsers' {@code EventSource}.
 *
 * <p>Each event's {@code id} is the connection's position in every stream it follows,
 * {@code thread:t1=<epoch>:<offset>;user:u1=<epoch>:<offset>}. The browser sends the last one back as
 * {@code Last-Event-ID} when it reconnects, and the stream resumes from there: missed payloads are
 * replayed from history, in order, before live ones. When history cannot cover a stream's gap, the
 * stream gets {@code {"kind":"reset","stream",...}} and the client reloads that thread from the API.
 */
public final class EventStreams implements Module {

  private final Vertx vertx;
  private final ChatService chat;
  private final Fanout fanout;
  private final StreamLog log;
  private final EcbConfig config;
  private final Set<EventStream> connections = ConcurrentHashMap.newKeySet();

  public EventStreams(Vertx vertx, ChatService chat, Fanout fanout, StreamLog log, EcbConfig config) {
    this.vertx = vertx;
    this.chat = chat;
    this.fanout = fanout;
    this.log = log;
    this.config = config;
  }

  public int connectionCount() {
    return connections.size();
  }

  /** Ends every stream; EventSource reconnects by itself, to another node behind the load balancer. */
  @Override
  public Future<Void> stop() {
    connections.forEach(EventStream::end);
    return Future.succeededFuture();
  }

  /** Serves {@code GET /api/v1/events}; mounted after {@link ChatApi}, whose origin rule and CORS cover it. */
  @Override
  public void mount(Router router) {
    router.get("/api/v1/events").handler(this::open);
  }

  private void open(RoutingContext ctx) {
    String userToken = ctx.queryParams().get("access_token");
    if (userToken == null) userToken = ChatApi.bearer(ctx);
    List<String> threadTokens = ctx.queryParams().getAll("thread");
    List<String> channels = ctx.queryParams().getAll("channel");
    boolean userStream = "true".equalsIgnoreCase(ctx.queryParams().get("user"));
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    if (lastEventId == null) lastEventId = ctx.queryParams().get("lastEventId");
    Map<String, String[]> resumeFrom = parsePositions(lastEventId);
    String token = userToken;
    Caller caller = ChatApi.caller(ctx);

    chat.connectionUser(caller, token).compose(user -> streams(caller, user, threadTokens, channels, userStream)
        .map(streams -> new EventStream(ctx, user.user().userId(), streams)))
      .onFailure(e -> HttpErrors.send(ctx, e))
      .onSuccess(connection -> connection.start(resumeFrom));
  }

  private Future<List<String>> streams(Caller caller, VerifiedUser verified, List<String> threadTokens, List<String> channels, boolean userStream) {
    int count = threadTokens.size() + channels.size() + (userStream ? 1 : 0);
    if (count == 0) return Future.failedFuture(EcbException.badRequest("follow at least one of thread, channel, user=true"));
    if (count > config.limits.subscriptionsPerConnection) {
      return Future.failedFuture(EcbException.badRequest("at most " + config.limits.subscriptionsPerConnection + " streams per connection"));
    }
    ChatUser user = verified.user();
    List<Future<String>> all = new ArrayList<>();
    if (userStream) all.add(Future.succeededFuture(Streams.user(user.userId())));
    for (String c : channels) {
      all.add(chat.mayFollowChannel(user, c) ? Future.succeededFuture(Streams.channel(c))
        : Future.failedFuture(EcbException.forbidden("channel " + c + " is not in the userToken's channels")));
    }
    for (String t : threadTokens) {
      all.add(chat.authorizeThread(caller, verified, t).map(StreamGrant::stream));
    }
    return Future.all(all).map(cf -> {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < cf.size(); i++) if (!out.contains(cf.<String>resultAt(i))) out.add(cf.resultAt(i));
      return out;
    });
  }

  /** {@code thread:t1=ep:5;user:u1=ep:2} → stream → [epoch, offset]. */
  static Map<String, String[]> parsePositions(String id) {
    Map<String, String[]> out = new LinkedHashMap<>();
    if (id == null || id.isBlank()) return out;
    for (String part : id.split(";")) {
      int eq = part.lastIndexOf('=');
      int colon = part.lastIndexOf(':');
      if (eq <= 0 || colon <= eq) continue;
      out.put(part.substring(0, eq), new String[]{part.substring(eq + 1, colon), part.substring(colon + 1)});
    }
    return out;
  }

  /** Per-stream position of one SSE connection. */
  private static final class Position {
    String epoch;
    long offset;
    boolean live;
    final List<Delivery> held = new ArrayList<>();
  }

  private final class EventStream implements Connection {
    final RoutingContext ctx;
    final String userId;
    final HttpServerResponse response;
    final Context context;
    final Map<String, Position> positions = new LinkedHashMap<>();
    final SseStream out;
    long pingTimer = -1;
    boolean ended;

    EventStream(RoutingContext ctx, String userId, List<String> streams) {
      this.ctx = ctx;
      this.userId = userId;
      this.response = ctx.response();
      this.context = Vertx.currentContext();
      // A client that cannot keep up is cut off; it resumes from its Last-Event-ID.
      this.out = new SseStream(response, config.limits.outboundQueueBytes, this::end);
      streams.forEach(s -> positions.put(s, new Position()));
    }

    void start(Map<String, String[]> resumeFrom) {
      out.open();
      response.closeHandler(v -> end());
      connections.add(this);
      pingTimer = vertx.setPeriodic(config.http.keepAliveSeconds * 1000, id -> write(": ping\n\n"));
      List<Future<Void>> subscribed = new ArrayList<>();
      positions.keySet().forEach(s -> subscribed.add(fanout.subscribe(s, userId, this)));
      List<String> names = new ArrayList<>(positions.keySet());
      // The stream opens (status, headers, first comment) only once every subscription is in
      // effect cluster-wide and every stream's position is known: whatever is published after the
      // client sees the stream open reaches it, and every event's id names every stream.
      Future.all(subscribed)
        .compose(v -> Future.all(names.stream().map(s -> recovery(s, resumeFrom.get(s))).toList()))
        .onComplete(ar -> {
          if (ended) return;
          if (ar.failed()) {
            HttpErrors.send(ctx, new EcbException(ErrorCode.UNAVAILABLE, "streams are unavailable; retry"));
            end();
            return;
          }
          write(": ok\n\n");
          List<StreamLog.Recovery> recoveries = new ArrayList<>();
          for (int i = 0; i < names.size(); i++) {
            StreamLog.Recovery r = ar.result().resultAt(i);
            recoveries.add(r);
            String[] from = resumeFrom.get(names.get(i));
            Position p = positions.get(names.get(i));
            boolean resumed = sinceOf(from) >= 0 && r.recovered();
            p.epoch = resumed ? from[0] : r.position().epoch();
            p.offset = resumed ? sinceOf(from) : r.position().offset();
          }
          for (int i = 0; i < names.size(); i++) {
            String stream = names.get(i);
            StreamLog.Recovery r = recoveries.get(i);
            Position p = positions.get(stream);
            if (sinceOf(resumeFrom.get(stream)) < 0) continue;
            if (r.recovered()) {
              for (String json : r.missed()) {
                JsonObject payload = new JsonObject(json);
                p.epoch = payload.getString("epoch");
                p.offset = payload.getLong("offset");
                event(json);
              }
            } else {
              event(new JsonObject().put("kind", "reset").put("stream", stream)
                .put("offset", p.offset).put("epoch", p.epoch).encode());
            }
          }
          positions.values().forEach(p -> {
            p.live = true;
            p.held.forEach(this::send);
            p.held.clear();
          });
        });
    }

    /** What was missed since the client's position in {@code stream} (or just the current position). */
    private Future<StreamLog.Recovery> recovery(String stream, String[] from) {
      long since = sinceOf(from);
      if (since >= 0) return log.since(stream, since, from[0]);
      return log.position(stream).map(pos -> new StreamLog.Recovery(pos, false, List.of()));
    }

    /** The offset of a Last-Event-ID position; -1 when there is none or it is unreadable. */
    private static long sinceOf(String[] from) {
      if (from == null) return -1;
      try {
        return Long.parseLong(from[1]);
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    @Override
    public Context context() {
      return context;
    }

    /** Called on this connection's context (see {@link #context()}). */
    @Override
    public void deliver(Delivery d) {
      if (ended) return;
      Position p = positions.get(d.stream);
      if (p == null) return;
      if (!p.live) p.held.add(d);
      else send(d);
    }

    private void send(Delivery d) {
      Position p = positions.get(d.stream);
      if (d.offset > 0) {
        if (d.epoch.equals(p.epoch) && d.offset <= p.offset) return;
        p.epoch = d.epoch;
        p.offset = d.offset;
      }
      event(d.payload.toString(StandardCharsets.UTF_8));
    }

    private void event(String json) {
      StringBuilder id = new StringBuilder();
      positions.forEach((stream, p) -> {
        if (p.epoch == null) return;
        if (id.length() > 0) id.append(';');
        id.append(stream).append('=').append(p.epoch).append(':').append(p.offset);
      });
      write("id: " + id + "\ndata: " + json + "\n\n");
    }

    private void write(String text) {
      if (!ended) out.write(text);
    }

    void end() {
      context.runOnContext(v -> {
        if (ended) return;
        ended = true;
        connections.remove(this);
        vertx.cancelTimer(pingTimer);
        positions.keySet().forEach(s -> fanout.unsubscribe(s, this));
        out.end();
      });
    }
  }
}
