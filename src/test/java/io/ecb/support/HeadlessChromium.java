package io.ecb.support;

import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * One headless Chromium for a browser test, with a profile of its own that goes when it quits.
 * Needs Debian's {@code chromium} and {@code chromium-driver}; both paths are given, so Selenium
 * Manager never looks for (or downloads) either.
 */
public final class HeadlessChromium implements AutoCloseable {

  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final String CHROMIUM = "/usr/bin/chromium";

  /**
   * Selenium warns that it has no DevTools protocol for Debian's Chromium version; plain WebDriver
   * is all these tests use. Held here so the level is not lost when the loggers are collected.
   */
  private static final List<Logger> QUIET = new ArrayList<>();

  static {
    for (String name : List.of("org.openqa.selenium.devtools", "org.openqa.selenium.chromium")) {
      Logger logger = Logger.getLogger(name);
      logger.setLevel(Level.SEVERE);
      QUIET.add(logger);
    }
  }

  public final WebDriver driver;
  private final Path profile;

  public HeadlessChromium() {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(new File(CHROMEDRIVER))
      .usingAnyFreePort()
      .build();
    try {
      profile = Files.createTempDirectory("ecb-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions()
      .setBinary(CHROMIUM)
      .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1200,800", "--user-data-dir=" + profile);
    driver = new ChromeDriver(service, options);
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> paths = Files.walk(profile)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // A leftover temp profile is harmless.
      }
    }
  }
}
