package io.ecb.browser;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

import static io.ecb.browser.DemoPage.texts;
import static io.ecb.browser.DemoPage.type;
import static io.ecb.browser.DemoPage.waitOn;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo chat page in two headless Chromium windows, one per user, against a real demo node:
 * Alice starts a conversation with Bob, Bob sees it appear and opens it, sees Alice typing and
 * her message arrive live, and replies.
 */
@Tag("browser")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoPageBrowserTest {

  private DemoPage demo;

  @BeforeAll
  void start() {
    demo = new DemoPage();
  }

  @AfterAll
  void stop() {
    if (demo != null) demo.close();
  }

  @Test
  void twoUsersChatLive() {
    WebDriver alice = demo.signIn(demo.url(), "alice", "Alice Martin");
    WebDriver bob = demo.signIn(demo.url(), "bob", "Bob Chen");

    // Alice starts a conversation with Bob; its first message creates the thread.
    alice.findElement(By.cssSelector("#contacts [data-user-id='bob'] button")).click();
    type(alice, "Hello Bob");
    alice.findElement(By.id("send")).click();
    waitForMessage(alice, "Hello Bob");
    WebElement aliceThread = waitOn(alice).until(
      ExpectedConditions.presenceOfElementLocated(By.cssSelector("#threads li[data-thread-id].active")));
    String threadId = aliceThread.getAttribute("data-thread-id");

    // Bob's conversation list shows it live (threadCreated on his user stream); he opens it.
    By bobThread = By.cssSelector("#threads li[data-thread-id='" + threadId + "'] button");
    waitOn(bob).until(ExpectedConditions.textToBePresentInElementLocated(bobThread, "Alice Martin"));
    bob.findElement(bobThread).click();
    waitForMessage(bob, "Hello Bob");

    // Alice types: Bob sees the indicator, then the message, and the indicator goes.
    type(alice, "How are you?");
    waitOn(bob).until(ExpectedConditions.textToBePresentInElementLocated(By.id("typing"), "Alice Martin is typing"));
    alice.findElement(By.id("send")).click();
    waitForMessage(bob, "How are you?");
    waitOn(bob).until(ExpectedConditions.textToBe(By.id("typing"), ""));

    // Bob replies; Alice sees it live.
    type(bob, "Fine, thanks!");
    bob.findElement(By.id("send")).click();
    waitForMessage(alice, "Fine, thanks!");

    assertThat(texts(alice)).containsExactly("Hello Bob", "How are you?", "Fine, thanks!");
    assertThat(texts(bob)).containsExactly("Hello Bob", "How are you?", "Fine, thanks!");
    assertThat(alice.findElements(By.cssSelector("#messages .message.mine"))).hasSize(2);
    assertThat(bob.findElements(By.cssSelector("#messages .message[data-from='alice'] .author")))
      .allSatisfy(author -> assertThat(author.getText()).isEqualTo("Alice Martin"));
  }

  private static void waitForMessage(WebDriver driver, String text) {
    waitOn(driver).until(d -> texts(d).contains(text));
  }
}
