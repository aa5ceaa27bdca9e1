package io.ecb.browser;

import io.ecb.support.TestKeys;
import io.ecb.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo chat page in two headless Chromium windows, one per user, against a real demo node:
 * Alice starts a conversation with Bob, Bob sees it appear and opens it, sees Alice typing and
 * her message arrive live, and replies.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver}; the driver and browser are
 * named explicitly, so Selenium Manager never looks for (or downloads) either.
 */
@Tag("browser")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoPageBrowserTest {

  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final Duration WAIT = Duration.ofSeconds(15);

  /**
   * Selenium warns that it has no DevTools protocol for Debian's Chromium version; the test uses
   * plain WebDriver only. Held here so the level is not lost when the loggers are collected.
   */
  private static final List<Logger> QUIET = new ArrayList<>();

  static {
    for (String name : List.of("org.openqa.selenium.devtools", "org.openqa.selenium.chromium")) {
      Logger logger = Logger.getLogger(name);
      logger.setLevel(Level.SEVERE);
      QUIET.add(logger);
    }
  }

  private TestNode node;
  private String baseUrl;
  private final List<WebDriver> drivers = new ArrayList<>();
  private final List<Path> profiles = new ArrayList<>();

  @BeforeAll
  void startDemoNode() {
    JsonObject c = TestNode.config(TestNode.newClusterName(), "", TestKeys.rsa());
    c.getJsonObject("demo").put("enabled", true);
    // Blank key, URL and secret: the demo fills in its own.
    c.getJsonObject("auth").put("publicKey", "");
    c.getJsonObject("backend").put("url", "").put("webhookSecret", new JsonArray());
    node = TestNode.start(c).await();
    baseUrl = "http://127.0.0.1:" + node.port();
  }

  @AfterAll
  void stop() {
    for (WebDriver driver : drivers) {
      try {
        driver.quit();
      } catch (RuntimeException e) {
        // Quit the others all the same.
      }
    }
    profiles.forEach(DemoPageBrowserTest::deleteTree);
    if (node != null) node.close().await();
  }

  @Test
  void twoUsersChatLive() {
    WebDriver alice = signIn("alice", "Alice Martin");
    WebDriver bob = signIn("bob", "Bob Chen");

    // Alice starts a conversation with Bob; its first message creates the thread.
    alice.findElement(By.cssSelector("#contacts [data-user-id='bob'] button")).click();
    type(alice, "Hello Bob");
    alice.findElement(By.id("send")).click();
    waitForMessage(alice, "Hello Bob");
    WebElement aliceThread = wait(alice).until(
      ExpectedConditions.presenceOfElementLocated(By.cssSelector("#threads li[data-thread-id].active")));
    String threadId = aliceThread.getAttribute("data-thread-id");

    // Bob's conversation list shows it live (threadCreated on his user stream); he opens it.
    By bobThread = By.cssSelector("#threads li[data-thread-id='" + threadId + "'] button");
    wait(bob).until(ExpectedConditions.textToBePresentInElementLocated(bobThread, "Alice Martin"));
    bob.findElement(bobThread).click();
    waitForMessage(bob, "Hello Bob");

    // Alice types: Bob sees the indicator, then the message, and the indicator goes.
    type(alice, "How are you?");
    wait(bob).until(ExpectedConditions.textToBePresentInElementLocated(By.id("typing"), "Alice Martin is typing"));
    alice.findElement(By.id("send")).click();
    waitForMessage(bob, "How are you?");
    wait(bob).until(ExpectedConditions.textToBe(By.id("typing"), ""));

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

  private WebDriver signIn(String userId, String displayName) {
    WebDriver driver = browser();
    driver.get(baseUrl + "/");
    By option = By.cssSelector("#user-select option[value='" + userId + "']");
    wait(driver).until(ExpectedConditions.presenceOfElementLocated(option));
    new Select(driver.findElement(By.id("user-select"))).selectByValue(userId);
    driver.findElement(By.id("login")).click();
    wait(driver).until(ExpectedConditions.textToBe(By.id("me"), displayName));
    wait(driver).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#contacts [data-user-id]")));
    assertThat(driver.findElements(By.cssSelector("#contacts [data-user-id='" + userId + "']"))).isEmpty();
    return driver;
  }

  private static void type(WebDriver driver, String text) {
    WebElement input = wait(driver).until(ExpectedConditions.elementToBeClickable(By.id("message-input")));
    input.sendKeys(text);
  }

  private static void waitForMessage(WebDriver driver, String text) {
    wait(driver).until(d -> texts(d).contains(text));
  }

  private static List<String> texts(WebDriver driver) {
    return driver.findElements(By.cssSelector("#messages .message .text")).stream().map(WebElement::getText).toList();
  }

  private static WebDriverWait wait(WebDriver driver) {
    return new WebDriverWait(driver, WAIT);
  }

  private WebDriver browser() {
    // Both paths given: Selenium then has nothing to look up or download.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(new File(CHROMEDRIVER))
      .usingAnyFreePort()
      .build();
    Path profile;
    try {
      profile = Files.createTempDirectory("ecb-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    profiles.add(profile);
    ChromeOptions options = new ChromeOptions()
      .setBinary(CHROMIUM)
      .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1200,800", "--user-data-dir=" + profile);
    WebDriver driver = new ChromeDriver(service, options);
    drivers.add(driver);
    return driver;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temp profile is harmless.
    }
  }
}
