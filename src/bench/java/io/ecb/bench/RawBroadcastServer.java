package io.ecb.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The framework's ceiling: a minimal Vert.x WebSocket broadcast server on one event loop, with no
 * auth, no bridge, no event bus. WebSocket clients connect to {@code /ws} and get {@code ok};
 * {@code POST /publish} with a text body writes that text as one frame to every socket.
 * {@code GET /stats} reports the open sockets.
 */
public final class RawBroadcastServer {

  public static void main(String[] argv) {
    Args args = Args.parse(argv);
    int port = args.getInt("port", 8092);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    List<ServerWebSocket> sockets = new ArrayList<>();
    vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setAcceptBacklog(4096))
      .webSocketHandler(ws -> {
        if (!ws.path().equals("/ws")) {
          ws.close((short) 1008, "unknown path");
          return;
        }
        sockets.add(ws);
        ws.closeHandler(v -> sockets.remove(ws));
        ws.exceptionHandler(e -> { });
        ws.writeTextMessage("ok");
      })
      .requestHandler(req -> {
        if (req.path().equals("/publish")) {
          req.body().onSuccess(body -> {
            String text = body.toString();
            for (int i = 0, n = sockets.size(); i < n; i++) {
              ServerWebSocket ws = sockets.get(i);
              if (!ws.writeQueueFull()) ws.writeTextMessage(text);
            }
            req.response().setStatusCode(202).end();
          });
        } else if (req.path().equals("/stats")) {
          req.response().end(new JsonObject().put("sockets", sockets.size()).encode());
        } else {
          req.response().setStatusCode(404).end();
        }
      })
      .listen()
      .await();
    System.out.println("RAW READY port=" + port);
  }
}
