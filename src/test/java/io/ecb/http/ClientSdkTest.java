package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** What a node serves of the client SDK: the files under /sdk/ as they are in the tree, and the classic script. */
class ClientSdkTest extends NodeTestBase {

  private static final Path SDK = Path.of("src/main/resources/webroot/sdk");

  private HttpResponse<Buffer> get(String path) {
    return http.get(node.port(), "127.0.0.1", path).send().await();
  }

  @Test
  void servesEachSdkFileWithItsType() throws Exception {
    for (Map.Entry<String, String> file : Map.of(
      "ecb-client.mjs", "text/javascript; charset=utf-8",
      "ecb-streams.mjs", "text/javascript; charset=utf-8",
      "ecb-error.mjs", "text/javascript; charset=utf-8",
      "ecb-client.d.ts", "application/typescript; charset=utf-8",
      "package.json", "application/json").entrySet()) {
      HttpResponse<Buffer> r = get("/sdk/" + file.getKey());
      assertThat(r.statusCode()).as(file.getKey()).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).as(file.getKey()).isEqualTo(file.getValue());
      assertThat(r.bodyAsString()).as(file.getKey()).isEqualTo(Files.readString(SDK.resolve(file.getKey())));
    }
  }

  @Test
  void servesNothingElseUnderSdk() {
    assertThat(get("/sdk/other.mjs").statusCode()).isEqualTo(404);
    assertThat(get("/sdk/..%2Fdemo%2Findex.html").statusCode()).isEqualTo(404);
    assertThat(get("/sdk/").statusCode()).isEqualTo(404);
  }

  @Test
  void packageVersionIsTheModulesVersion() throws Exception {
    Matcher m = Pattern.compile("const VERSION = '([^']+)';").matcher(Files.readString(SDK.resolve("ecb-client.mjs")));
    assertThat(m.find()).isTrue();
    JsonObject pkg = get("/sdk/package.json").bodyAsJsonObject();
    assertThat(pkg.getString("version")).isEqualTo(m.group(1));
    assertThat(pkg.getString("types")).isEqualTo("./ecb-client.d.ts");
  }

  @Test
  void classicScriptHoldsTheModulesWithoutImportsOrExports() throws Exception {
    HttpResponse<Buffer> r = get("/ecb-client.js");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
    String script = r.bodyAsString();
    assertThat(script).startsWith("(function () {").contains("class EcbClient", "class EcbError", "class Streams")
      .contains("globalThis.EcbClient = EcbClient;", "globalThis.EcbError = EcbError;");
    assertThat(script.lines()).noneMatch(line -> line.startsWith("import ") || line.startsWith("export "));
  }
}
