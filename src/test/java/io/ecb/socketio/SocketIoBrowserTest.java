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

  /** The README's block: the client from the CDN, then one module script. */
  private static final Pattern SNIPPET = Pattern.compile(
    "```html\\n<script src=\"https://cdn\\.socket\\.io/[^\"]+\"></script>\\n<script type=\"module\">\\n(.*?)</script>\\n```",
    Pattern.DOTALL);

  /**
   * Loads the bundle, then runs the snippet's module. {@code window.outcome} settles with the first
   * message the snippet logs, or with the first error the page reports.
   */
  private static final String RUN = """
    const [bundle, snippet, accessToken] = arguments;
    window.outcome = new Promise((resolve) => {
      const fail = (what) => resolve({failures: [String(what)]});
      window.addEventListener('error', (e) => fail(e.error && e.error.stack || e.message));
      window.addEventListener('unhandledrejection', (e) => fail(e.reason && e.reason.stack || e.reason));
      const log = console.log;
      console.log = (...args) => {
        log(...args);
        if (args[1] && args[1].data) resolve({offset: args[0], text: args[1].data.messageText});
      };
    });
    const client = document.createElement('script');
    client.textContent = bundle;
    document.head.appendChild(client);
    const module = document.createElement('script');
    module.type = 'module';
    module.textContent = 'const accessToken = ' + JSON.stringify(accessToken) + ';\\n' + snippet;
    document.head.appendChild(module);
    """;

  private static final String OUTCOME = "window.outcome.then(arguments[arguments.length - 1]);";

  @Test
  @SuppressWarnings("unchecked")
  void theReadmeSnippetChatsFromABrowser() throws IOException {
    Path bundle = SocketIoScript.client().resolve("dist/socket.io.min.js");
    Matcher m = SNIPPET.matcher(Files.readString(Path.of("README.md")));
    assertThat(m.find()).as("README.md has the Socket.IO snippet").isTrue();
    backend.users.put("reader", new JsonObject().put("userId", "reader").put("displayName", "Reader"));
    backend.addThread("t-readme", "reader", "u2");

    try (HeadlessChromium chromium = new HeadlessChromium()) {
      chromium.driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
      chromium.driver.get("http://127.0.0.1:" + node.port() + "/eventbus");
      JavascriptExecutor js = (JavascriptExecutor) chromium.driver;
      js.executeScript(RUN, Files.readString(bundle), m.group(1), "access-reader");

      Map<String, Object> outcome = (Map<String, Object>) js.executeAsyncScript(OUTCOME);
      assertThat((List<String>) outcome.get("failures")).as("the page's errors").isNull();
      assertThat(outcome.get("text")).isEqualTo("hello");
      assertThat(outcome.get("offset")).isInstanceOf(Long.class);
    }
    assertThat(backend.count("addThreadMessage")).isEqualTo(1);
  }
}
