package io.ecb.browser;

import io.ecb.support.NodeTestBase;
import io.ecb.support.StubBackend;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official {@code @vertx/eventbus-bridge-client.js}, unchanged, against a node: runs
 * {@code src/test/js/official-client.js} under Node.js (its dependencies installed with
 * {@code npm ci} in {@code src/test/js}) and checks what it reports and what the backend received.
 */
@Tag("browser")
class OfficialClientTest extends NodeTestBase {

  private static final Path SCRIPT_DIR = Path.of("src/test/js");
  private static final long TIMEOUT_SECONDS = 60;

  @Test
  void officialClientFollowsReadsAndSends() throws Exception {
    assertThat(SCRIPT_DIR.resolve("node_modules/@vertx/eventbus-bridge-client.js"))
      .as("run `npm ci` in src/test/js first").exists();
    JsonObject thread = backend.addThread("t1", "u1", "u2");

    Process process = new ProcessBuilder("node", "official-client.js", "http://127.0.0.1:" + node.port(),
      backend.userToken("u1"), thread.getString("threadToken"), "t1")
      .directory(SCRIPT_DIR.toFile())
      .redirectErrorStream(true)
      .start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    boolean finished = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!finished) process.destroyForcibly();
    String printed = output.get(10, TimeUnit.SECONDS);
    assertThat(finished).as("node finished in time; it printed:%n%s", printed).isTrue();
    assertThat(process.exitValue()).as("exit code; node printed:%n%s", printed).isZero();

    JsonObject result = new JsonObject(lastLine(printed));
    assertThat(result.getBoolean("ok")).isTrue();
    assertThat(result.getString("threadId")).isEqualTo("t1");
    assertThat(result.getString("messageText")).startsWith("hello from the official client");
    assertThat(result.getLong("offset")).isEqualTo(result.getLong("sentOffset")).isPositive();
    assertThat(result.getJsonObject("unauthorized"))
      .isEqualTo(new JsonObject().put("failureCode", 401).put("code", "UNAUTHORIZED"));

    // The message reached the backend once, signed, from u1, and is what the client saw live.
    assertThat(backend.count("getThread")).isEqualTo(1);
    assertThat(backend.count("addThreadMessage")).isEqualTo(1);
    StubBackend.Call call = backend.last("addThreadMessage");
    assertThat(call.signatureValid()).isTrue();
    assertThat(call.body().getString("threadId")).isEqualTo("t1");
    assertThat(call.body().getJsonObject("user").getString("userId")).isEqualTo("u1");
    assertThat(call.body().getJsonObject("message").getJsonObject("data").getString("messageText"))
      .isEqualTo(result.getString("messageText"));
    List<JsonObject> stored = backend.messages.get("t1");
    assertThat(stored).extracting(m -> m.getString("messageId")).containsExactly(result.getString("messageId"));
  }

  private static String readAll(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String lastLine(String printed) {
    String[] lines = printed.strip().split("\\R");
    return lines[lines.length - 1];
  }
}
