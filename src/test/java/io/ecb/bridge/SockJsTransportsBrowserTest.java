package io.ecb.bridge;

import io.ecb.support.HeadlessChromium;
import io.ecb.support.Conditions;
import io.ecb.support.NodeTestBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.JavascriptExecutor;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * sockjs-client 1.6, as the node serves it, in headless Chromium, held to one HTTP transport at a
 * time ({@code transports: [name]}), with the project's browser client on top: it registers,
 * makes requests (one refused), gets its own message delivered back and pings. The iframe
 * variants load sockjs-client into the node's iframe page from the node too.
 */
@Tag("browser")
@Timeout(120)
class SockJsTransportsBrowserTest extends NodeTestBase {

  /** Loads sockjs-client and the browser client into the page, connects and follows a thread. */
  private static final String CONNECT = """
    const [transport, userToken, threadToken, threadId] = arguments;
    const done = arguments[arguments.length - 1];
    const load = (src) => new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error('could not load ' + src));
      document.head.appendChild(s);
    });
    (async () => {
      await load('/webjars/sockjs-client/1.6.1/dist/sockjs.min.js');
      await load('/ecb-client.js');
      const headers = {userToken, threadToken};
      const ecb = new EcbClient(location.origin + '/eventbus',
        {pingInterval: 200, reconnect: false, sockjs: {transports: [transport]}});
      window.ecb = ecb;
      window.headers = headers;
      window.received = [];
      await ecb.connect();
      ecb.subscribe('ecb.thread.' + threadId, headers, (body) => window.received.push(body),
        (e) => { window.subscribeError = String(e); });
      // Answered only once the registration is in effect.
      const reply = await ecb.request('ecb.getThread', headers, {});
      let refused = null;
      try {
        await ecb.request('ecb.publish.anything', {userToken}, {});
      } catch (e) {
        refused = {failureCode: e.failureCode, code: e.code};
      }
      return {transport: ecb._sock.transport, threadId: reply.thread.threadId, refused};
    })().then(done, (e) => done({error: String(e && e.stack || e)}));
    """;

  /** Sends a message and waits for it to come back on the followed thread. */
  private static final String SEND_AND_RECEIVE = """
    const [text] = arguments;
    const done = arguments[arguments.length - 1];
    (async () => {
      const sent = await ecb.request('ecb.sendMessage', window.headers,
        {message: {type: 'text', data: {messageText: text}}});
      for (let i = 0; i < 200; i++) {
        const got = window.received.find((m) => m.offset === sent.offset);
        if (got) return {offset: sent.offset, text: got.message.data.messageText, kind: got.kind};
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return {error: 'no delivery; received ' + JSON.stringify(window.received)};
    })().then(done, (e) => done({error: String(e && e.stack || e)}));
    """;

  private HeadlessChromium chromium;

  @BeforeAll
  void startBrowser() {
    chromium = new HeadlessChromium();
    chromium.driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
  }

  @AfterAll
  void stopBrowser() {
    if (chromium != null) chromium.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"xhr-streaming", "xhr-polling", "eventsource", "htmlfile", "jsonp-polling",
    "iframe-eventsource", "iframe-htmlfile", "iframe-xhr-polling"})
  @SuppressWarnings("unchecked")
  void sockJsClientWorksOverEachHttpTransport(String transport) {
    String threadId = "t-" + transport;
    String token = backend.addThread(threadId, "u1", "u2").getString("threadToken");
    // A page of the node's own, so that every transport is same-origin, as on the demo page.
    chromium.driver.get("http://127.0.0.1:" + node.port() + "/eventbus");
    JavascriptExecutor js = (JavascriptExecutor) chromium.driver;
    Set<String> earlier = Set.copyOf(node.node.bridge().httpTransports.sessions.keySet());

    Map<String, Object> connected = (Map<String, Object>) js.executeAsyncScript(CONNECT,
      transport, backend.userToken("u1"), token, threadId);
    assertThat(connected).doesNotContainKey("error");
    assertThat(connected.get("transport")).isEqualTo(transport);
    assertThat(connected.get("threadId")).isEqualTo(threadId);
    assertThat((Map<String, Object>) connected.get("refused"))
      .containsEntry("failureCode", 403L).containsEntry("code", "FORBIDDEN");

    String text = "héllo </script> \"" + transport + "\" \\ 😀";
    Map<String, Object> delivered = (Map<String, Object>) js.executeAsyncScript(SEND_AND_RECEIVE, text);
    assertThat(delivered).doesNotContainKey("error");
    assertThat(delivered.get("kind")).isEqualTo("message");
    assertThat(delivered.get("text")).isEqualTo(text);

    // The page's session on the node (an iframe transport's lives in the iframe): its pings arrive.
    List<SockJsHttpSession> opened = node.node.bridge().httpTransports.sessions.entrySet().stream()
      .filter(e -> !earlier.contains(e.getKey()) && !e.getValue().isClosed()).map(Map.Entry::getValue).toList();
    assertThat(opened).hasSize(1);
    SockJsHttpSession session = opened.get(0);
    long pinged = session.bridge().lastPing;
    until(() -> session.bridge().lastPing > pinged, "a ping arrived");
    assertThat(session.isClosed()).isFalse();
    assertThat(js.executeScript("return window.subscribeError || null")).isNull();
    js.executeScript("window.ecb.close()");
  }

  private void until(BooleanSupplier condition, String what) {
    Conditions.until(vertx, condition, what);
  }
}
