package io.ecb.browser;

import io.ecb.support.HeadlessChromium;
import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo page for browser tests: a node with the demo on, the headless browsers signed in to
 * its page (all closed with it), and how the tests read the page.
 */
final class DemoPage implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(15);

  final TestNode node;
  private final List<HeadlessChromium> browsers = new ArrayList<>();

  DemoPage() {
    JsonObject c = TestNode.config(TestNode.newClusterName(), "", TestKeys.rsa());
    c.getJsonObject("demo").put("enabled", true);
    // Blank key, URL and secret: the demo fills in its own.
    c.getJsonObject("auth").put("publicKey", "");
    c.getJsonObject("backend").put("url", "").put("webhookSecret", new JsonArray());
    node = TestNode.start(c).await();
  }

  String url() {
    return "http://127.0.0.1:" + node.port();
  }

  /**
   * A new browser on the page at {@code baseUrl} (the node's, or a proxy's in front of it),
   * signed in; the contacts list shows everyone else.
   */
  WebDriver signIn(String baseUrl, String userId, String displayName) {
    HeadlessChromium browser = new HeadlessChromium();
    browsers.add(browser);
    WebDriver driver = browser.driver;
    driver.get(baseUrl + "/");
    By option = By.cssSelector("#user-select option[value='" + userId + "']");
    waitOn(driver).until(ExpectedConditions.presenceOfElementLocated(option));
    new Select(driver.findElement(By.id("user-select"))).selectByValue(userId);
    driver.findElement(By.id("login")).click();
    waitOn(driver).until(ExpectedConditions.textToBe(By.id("me"), displayName));
    waitOn(driver).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#contacts [data-user-id]")));
    assertThat(driver.findElements(By.cssSelector("#contacts [data-user-id='" + userId + "']"))).isEmpty();
    return driver;
  }

  @Override
  public void close() {
    for (HeadlessChromium browser : browsers) {
      try {
        browser.close();
      } catch (RuntimeException e) {
        // Close the others all the same.
      }
    }
    node.close().await();
  }

  static void type(WebDriver driver, String text) {
    WebElement input = waitOn(driver).until(ExpectedConditions.elementToBeClickable(By.id("message-input")));
    input.sendKeys(text);
  }

  /** The texts of the messages shown, in the order shown. */
  static List<String> texts(WebDriver driver) {
    return driver.findElements(By.cssSelector("#messages .message .text")).stream().map(WebElement::getText).toList();
  }

  /** The page redraws parts of itself (receipts on every change): an element just read may be gone. */
  static WebDriverWait waitOn(WebDriver driver) {
    WebDriverWait wait = new WebDriverWait(driver, WAIT);
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }
}
