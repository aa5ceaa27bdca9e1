package io.ecb.socketio;

import io.ecb.support.HeadlessChromium;
import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.JavascriptExecutor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's Socket.IO snippet, word for word, in headless Chromium on a page of the node's own:
 * socket.io-client's browser bundle (from npm, where the snippet names the CDN) with its default
 * options, so polling first and then WebSocket. The snippet gets a userToken, follows its first
 * thread and must see its own message come back.
 */
@Tag("browser")
@Timeout(120)
class SocketIoBrowserTest extends NodeTestBase {

  private static final Path BUNDLE = SocketIoScript.DIR.resolve("node_modules/socket.io-client/dist/socket.io.min.js");
  /** The README's block: the client from the CDN, then one module script. */
  private static final Pattern SNIPPET = Pattern.compile(
    "```html\\n<script src=\"https://cdn\\.socket\\.io/[^\"]+\"></script>\\n<script type=\"module\">\\n(.*?)</script>\\n```",
    Pattern.DOTALL);

  /** Loads the bundle, then runs the snippet's module with its console and errors recorded. */
  private static final String RUN = """
    const [bundle, snippet, accessToken] = arguments;
    window.logged = [];
    window.failures = [];
    const log = console.log;
    console.log = (...args) => { window.logged.push(args); log(...args); };
    window.addEventListener('error', (e) => window.failures.push(String(e.error && e.error.stack || e.message)));
    window.addEventListener('unhandledrejection', (e) => window.failures.push(String(e.reason && e.reason.stack || e.reason)));
    const client = document.createElement('script');
    client.textContent = bundle;
    document.head.appendChild(client);
    const module = document.createElement('script');
    module.type = 'module';
    module.textContent = 'const accessToken = ' + JSON.stringify(accessToken) + ';\\n' + snippet;
    document.head.appendChild(module);
    """;

  /** Waits in the page for a logged message or a failure. */
  private static final String OUTCOME = """
    const done = arguments[arguments.length - 1];
    (async () => {
      for (let i = 0; i < 400; i++) {
        if (window.failures.length) return {failures: window.failures};
        const got = window.logged.find((args) => args[1] && args[1].data);
        if (got) return {offset: got[0], text: got[1].data.messageText};
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return {failures: ['nothing logged: ' + JSON.stringify(window.logged)]};
    })().then(done, (e) => done({failures: [String(e && e.stack || e)]}));
    """;

  @Test
  @SuppressWarnings("unchecked")
  void theReadmeSnippetChatsFromABrowser() throws IOException {
    assertThat(BUNDLE).as("run `npm ci` in src/test/js first").exists();
    Matcher m = SNIPPET.matcher(Files.readString(Path.of("README.md")));
    assertThat(m.find()).as("README.md has the Socket.IO snippet").isTrue();
    backend.users.put("reader", new JsonObject().put("userId", "reader").put("displayName", "Reader"));
    backend.addThread("t-readme", "reader", "u2");

    try (HeadlessChromium chromium = new HeadlessChromium()) {
      chromium.driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
      chromium.driver.get("http://127.0.0.1:" + node.port() + "/eventbus");
      JavascriptExecutor js = (JavascriptExecutor) chromium.driver;
      js.executeScript(RUN, Files.readString(BUNDLE), m.group(1), "access-reader");

      Map<String, Object> outcome = (Map<String, Object>) js.executeAsyncScript(OUTCOME);
      assertThat((List<String>) outcome.get("failures")).as("the page's errors").isNull();
      assertThat(outcome.get("text")).isEqualTo("hello");
      assertThat(outcome.get("offset")).isInstanceOf(Long.class);
    }
    assertThat(backend.count("addThreadMessage")).isEqualTo(1);
  }
}
