package io.ecb.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The JavaScript client SDK (resources {@code webroot/sdk}): its ES modules, type declarations
 * and package.json under {@code /sdk/}, for bundlers and {@code <script type="module">}, and
 * {@code /ecb-client.js}, the same modules joined into one classic script that defines the
 * globals {@code EcbClient} and {@code EcbError}, so a page needs no module loader.
 */
public final class ClientSdk {

  private static final String DIR = "webroot/sdk/";
  private static final String JS = "text/javascript; charset=utf-8";

  /** The served files and their types; nothing else under the directory is served. */
  static final Map<String, String> FILES = Map.of(
    "ecb-client.mjs", JS,
    "ecb-streams.mjs", JS,
    "ecb-error.mjs", JS,
    "ecb-client.d.ts", "application/typescript; charset=utf-8",
    "package.json", "application/json");

  /** The modules in dependency order, for the classic script. */
  private static final List<String> MODULES = List.of("ecb-error.mjs", "ecb-streams.mjs", "ecb-client.mjs");

  private ClientSdk() {
  }

  public static void mount(Router router, Vertx vertx) {
    Future<Buffer> classic = classicScript(vertx);
    router.get("/ecb-client.js").handler(ctx -> classic
      .onSuccess(script -> ctx.response().putHeader("Content-Type", JS).end(script))
      .onFailure(ctx::fail));
    router.get("/sdk/:file").handler(ClientSdk::file);
  }

  private static void file(RoutingContext ctx) {
    String name = ctx.pathParam("file");
    String type = FILES.get(name);
    if (type == null) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("Content-Type", type).sendFile(DIR + name);
  }

  /**
   * The modules, imports and export lists removed, inside one function scope. The modules keep
   * to that shape for it: imports only of each other, exports only as one closing
   * {@code export { ... };} line.
   */
  static Future<Buffer> classicScript(Vertx vertx) {
    List<Future<Buffer>> reads = MODULES.stream().map(m -> vertx.fileSystem().readFile(DIR + m)).toList();
    return Future.all(reads).map(all -> {
      String body = reads.stream().map(r -> r.result().toString())
        .flatMap(String::lines)
        .filter(line -> !line.startsWith("import ") && !line.startsWith("export {"))
        .collect(Collectors.joining("\n"));
      return Buffer.buffer("(function () {\n'use strict';\n" + body
        + "\nglobalThis.EcbClient = EcbClient;\nglobalThis.EcbError = EcbError;\n})();\n");
    });
  }
}
