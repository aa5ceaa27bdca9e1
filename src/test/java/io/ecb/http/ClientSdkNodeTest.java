package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client SDK's own tests, {@code src/test/js/ecb-client.test.mjs}, under Node's test runner
 * against this node (history of 20 per stream, so a test can outrun it) and its stub backend:
 * reconnects mid-stream, duplicates after recovery, reloads, token refresh, retried connects.
 */
@Tag("browser")
class ClientSdkNodeTest extends NodeTestBase {

  private static final Path SCRIPT_DIR = Path.of("src/test/js");
  private static final long TIMEOUT_SECONDS = 180;

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("history").put("size", 20);
  }

  @Test
  void sdkTestsPassUnderNodesTestRunner() throws Exception {
    assertThat(SCRIPT_DIR.resolve("node_modules/sockjs-client")).as("run `npm ci` in src/test/js first").exists();
    // Past the 30 s of clock skew the node allows.
    long expiredAt = System.currentTimeMillis() / 1000 - 600;
    String expired = backend.sign(new JsonObject().put("userId", "u1").put("displayName", "User 1")
      .put("exp", expiredAt), 0);

    ProcessBuilder builder = new ProcessBuilder("node", "--test", "--test-reporter=tap", "ecb-client.test.mjs")
      .directory(SCRIPT_DIR.toFile())
      .redirectErrorStream(true);
    builder.environment().put("ECB_URL", "http://127.0.0.1:" + node.port());
    builder.environment().put("ECB_EXPIRED_TOKEN", expired);
    Process process = builder.start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    boolean finished = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!finished) process.destroyForcibly();
    String printed = output.get(10, TimeUnit.SECONDS);
    assertThat(finished).as("node --test finished in time; it printed:%n%s", printed).isTrue();
    assertThat(process.exitValue()).as("node --test exit code; it printed:%n%s", printed).isZero();
    // TAP's summary: every test in the file ran and passed (none skipped or left as todo).
    assertThat(count(printed, "tests")).as("tests in the file; node printed:%n%s", printed).isPositive()
      .isEqualTo(count(printed, "pass"));
  }

  private static int count(String tap, String what) {
    Matcher m = Pattern.compile("^# " + what + " (\\d+)$", Pattern.MULTILINE).matcher(tap);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  private static String readAll(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
