package io.ecb.browser;

import io.ecb.support.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.time.Duration;
import java.util.List;

import static io.ecb.browser.DemoPage.texts;
import static io.ecb.browser.DemoPage.type;
import static io.ecb.browser.DemoPage.waitOn;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo page's presence dots, read receipts and recovery, in two headless Chromium windows
 * against a real demo node. Bob's page reaches the node through a {@link TcpProxy}: cutting it is
 * his network dropping, while Alice, connected directly, goes on writing.
 */
@Tag("browser")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoPageLiveBrowserTest {

  /** Bob's client backs off between attempts while cut off (up to 10 s a wait). */
  private static final Duration RECONNECT_WAIT = Duration.ofSeconds(40);

  private DemoPage demo;
  private TcpProxy proxy;

  @BeforeAll
  void start() {
    demo = new DemoPage();
    proxy = new TcpProxy(demo.node.port());
  }

  @AfterAll
  void stop() {
    if (proxy != null) proxy.close();
    if (demo != null) demo.close();
  }

  @Test
  void presenceReceiptsAndRecoveryAfterTheNetworkDrops() {
    WebDriver alice = demo.signIn(demo.url(), "alice", "Alice Martin");
    WebDriver bob = demo.signIn("http://127.0.0.1:" + proxy.port(), "bob", "Bob Chen");

    // Alice starts a conversation with Bob: she is online in it, he is not there yet.
    alice.findElement(By.cssSelector("#contacts [data-user-id='bob'] button")).click();
    send(alice, "Hello Bob");
    String threadId = waitOn(alice).until(ExpectedConditions.presenceOfElementLocated(
      By.cssSelector("#threads li[data-thread-id].active"))).getAttribute("data-thread-id");
    awaitDot(alice, "alice", true);
    awaitDot(alice, "bob", false);

    // Bob opens it: each sees the other's dot go online, and Alice sees that Bob read her message.
    By bobThread = By.cssSelector("#threads li[data-thread-id='" + threadId + "'] button");
    waitOn(bob).until(ExpectedConditions.textToBePresentInElementLocated(bobThread, "Alice Martin"));
    bob.findElement(bobThread).click();
    awaitTexts(bob, "Hello Bob");
    awaitDot(bob, "alice", true);
    awaitDot(alice, "bob", true);
    awaitSeenUnder(alice, "Hello Bob", "Seen by Bob Chen");
    assertThat(bob.findElements(By.cssSelector("#messages .seen"))).as("Alice has read nothing of Bob's").isEmpty();

    // Bob's network drops: his page says so, and Alice sees him go offline.
    proxy.cut();
    waitOn(bob).until(ExpectedConditions.textToBe(By.id("status"), "reconnecting…"));
    awaitDot(alice, "bob", false);

    // Alice writes meanwhile; nothing reaches Bob, so nothing new is seen.
    send(alice, "one");
    send(alice, "two");
    send(alice, "three");
    awaitTexts(alice, "Hello Bob", "one", "two", "three");
    assertThat(texts(bob)).containsExactly("Hello Bob");
    assertThat(seenUnder(alice, "Hello Bob")).isEqualTo("Seen by Bob Chen");

    // The network comes back: Bob's page reconnects and recovers the three, once each, in order.
    proxy.restore();
    waitOn(bob).withTimeout(RECONNECT_WAIT).until(ExpectedConditions.textToBe(By.id("status"), "connected"));
    awaitTexts(bob, "Hello Bob", "one", "two", "three");
    awaitDot(alice, "bob", true);
    awaitDot(bob, "alice", true);
    // Bob's page marks the last of them read: Alice's "seen" moves there.
    awaitSeenUnder(alice, "three", "Seen by Bob Chen");
    assertThat(alice.findElements(By.cssSelector("#messages .seen"))).hasSize(1);

    // Live again: a later message comes after them, and nothing came twice.
    send(alice, "four");
    awaitTexts(bob, "Hello Bob", "one", "two", "three", "four");
    assertThat(bob.findElements(By.cssSelector("#messages .message"))).hasSize(5);

    // Bob answers; Alice reads it, and Bob sees that.
    send(bob, "back again");
    awaitTexts(alice, "Hello Bob", "one", "two", "three", "four", "back again");
    awaitSeenUnder(bob, "back again", "Seen by Alice Martin");

    // Alice signs out: Bob sees her go offline.
    alice.findElement(By.id("logout")).click();
    awaitDot(bob, "alice", false);
  }

  /** Sends from the open conversation and waits for the page to show it. */
  private static void send(WebDriver driver, String text) {
    type(driver, text);
    driver.findElement(By.id("send")).click();
    waitOn(driver).until(d -> texts(d).contains(text));
  }

  private static void awaitDot(WebDriver driver, String userId, boolean online) {
    waitOn(driver).until(ExpectedConditions.presenceOfElementLocated(
      By.cssSelector("#members li[data-user-id='" + userId + "'][data-online='" + online + "'] .dot")));
  }

  /** Waits until the page shows exactly these messages, in this order. */
  private static void awaitTexts(WebDriver driver, String... expected) {
    waitOn(driver).until(d -> texts(d).equals(List.of(expected)));
  }

  private static void awaitSeenUnder(WebDriver driver, String text, String seen) {
    waitOn(driver).until(d -> seen.equals(seenUnder(d, text)));
  }

  /** The "seen" line under the message with this text, or null. */
  private static String seenUnder(WebDriver driver, String text) {
    for (WebElement message : driver.findElements(By.cssSelector("#messages .message"))) {
      if (!message.findElement(By.cssSelector(".text")).getText().equals(text)) continue;
      List<WebElement> seen = message.findElements(By.cssSelector(".seen"));
      return seen.isEmpty() ? null : seen.get(0).getText();
    }
    return null;
  }
}
