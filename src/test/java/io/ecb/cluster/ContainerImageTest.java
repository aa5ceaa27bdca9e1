package io.ecb.cluster;

import io.ecb.config.ConfigLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container image that {@code mvn package jib:buildTar} builds, as far as it can be checked
 * without pulling its base image: the jib-maven-plugin's configuration in pom.xml against
 * k8s/deployment.yaml (image name and tag, user, ports, config mount, arguments) and against what
 * ECB needs to run (main class, Hazelcast's module flags, the files it copies).
 */
class ContainerImageTest {

  private static Element pom;
  private static Element jib;
  private static Map<String, Object> container;
  private static Map<String, Object> podSpec;

  @BeforeAll
  static void parse() throws Exception {
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
    pom = doc.getDocumentElement();
    NodeList plugins = doc.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element p = (Element) plugins.item(i);
      if ("jib-maven-plugin".equals(text(p, "artifactId"))) jib = p;
    }
    assertThat(jib).as("jib-maven-plugin in pom.xml").isNotNull();
    Map<String, Object> deployment = KubernetesManifestsTest.yamlDocuments(Files.readString(Path.of("k8s", "deployment.yaml"))).get(0);
    podSpec = map(map(map(deployment, "spec"), "template"), "spec");
    container = list(podSpec.get("containers")).get(0);
  }

  @Test
  void thePluginIsPinnedAndBuildsTheImageTheDeploymentRuns() {
    assertThat(text(jib, "groupId")).isEqualTo("com.google.cloud.tools");
    assertThat(text(jib, "version")).matches("\\d+\\.\\d+\\.\\d+");
    String version = text(pom, "version");
    String image = text(child(jib, "configuration", "to"), "image").replace("${project.version}", version);
    assertThat(image).isEqualTo("ecb:" + version);
    assertThat(container.get("image")).isEqualTo(image);
  }

  @Test
  void theImageRunsEcbsMainClassAsTheDeploymentsNonRootUser() throws Exception {
    Element c = child(jib, "configuration", "container");
    String main = text(c, "mainClass").replace("${main.class}", text(child(pom, "properties"), "main.class"));
    assertThat(Class.forName(main).getMethod("main", String[].class)).isNotNull();
    String[] user = text(c, "user").split(":");
    Map<String, Object> security = map(podSpec, "securityContext");
    assertThat(Integer.parseInt(user[0])).isPositive().isEqualTo(security.get("runAsUser"));
    assertThat(Integer.parseInt(user[1])).isPositive().isEqualTo(security.get("runAsGroup"));
    // preStop runs `sleep`: the base image needs a shell's coreutils, which distroless lacks.
    assertThat(text(child(jib, "configuration", "from"), "image")).startsWith("eclipse-temurin:").endsWith("-jre");
    List<String> ports = texts(child(c, "ports"), "port");
    for (Map<String, Object> p : list(container.get("ports"))) assertThat(ports).contains(String.valueOf(p.get("containerPort")));
  }

  @Test
  void theImageReadsTheConfigWhereTheConfigMapIsMounted() throws Exception {
    Element c = child(jib, "configuration", "container");
    List<String> args = texts(child(c, "args"), "arg");
    assertThat(args).isEqualTo(container.get("args"));
    String mount = list(container.get("volumeMounts")).stream().filter(v -> "config".equals(v.get("name")))
      .map(v -> (String) v.get("mountPath")).findFirst().orElseThrow();
    assertThat(args.get(args.indexOf("-conf") + 1)).isEqualTo(mount + "/config.json");
    // The image carries conf/ (the demo config) where the ConfigMap replaces it, under the same names.
    Element path = child(jib, "configuration", "extraDirectories", "paths", "path");
    assertThat(text(path, "into")).isEqualTo(mount);
    assertThat(text(c, "workingDirectory") + "/conf").isEqualTo(mount);
    Path conf = Path.of(text(path, "from"));
    Map<String, Object> configMap = KubernetesManifestsTest.yamlDocuments(Files.readString(Path.of("k8s", "configmap.yaml"))).get(0);
    for (String name : map(configMap, "data").keySet()) assertThat(conf.resolve(name)).as("conf/%s in the image", name).isRegularFile();
    assertThat(ConfigLoader.load(conf.resolve("config.json"), Map.of()).getJsonObject("http").getInteger("port"))
      .isEqualTo(list(container.get("ports")).get(0).get("containerPort"));
  }

  @Test
  @Timeout(60)
  void theImagesJvmFlagsCarryHazelcastsModuleFlagsAndAreAcceptedByTheJvm() throws Exception {
    String options = text(child(jib, "configuration", "container", "environment"), "JAVA_TOOL_OPTIONS");
    assertThat(options).contains("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseG1GC");
    List<String> given = List.of(options.trim().split("\\s+"));
    // hz.opens is written for the java launcher ("--add-opens X"); the JVM reads
    // JAVA_TOOL_OPTIONS itself and only accepts "--add-opens=X".
    String[] words = text(child(pom, "properties"), "hz.opens").trim().split("\\s+");
    List<String> needed = new ArrayList<>();
    for (int i = 0; i < words.length; i++) {
      needed.add(words[i].contains("=") || i + 1 == words.length || words[i + 1].startsWith("-") ? words[i] : words[i] + "=" + words[++i]);
    }
    assertThat(needed).isNotEmpty().allMatch(f -> f.startsWith("--"));
    assertThat(given).containsAll(needed);
    // What the shaded jar's manifest opens for java -jar, the image opens too.
    String manifest = Files.readString(Path.of("pom.xml"));
    String opens = manifest.substring(manifest.indexOf("<Add-Opens>") + 11, manifest.indexOf("</Add-Opens>"));
    for (String o : opens.trim().split("\\s+")) assertThat(given).contains("--add-opens=" + o + "=ALL-UNNAMED");

    // A JVM refuses to start on an option it does not understand: try them on this one.
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true);
    pb.environment().put("JAVA_TOOL_OPTIONS", options.replace("-Djava.io.tmpdir=/tmp", ""));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("java -version with JAVA_TOOL_OPTIONS:\n%s", out).isZero();
    assertThat(out).doesNotContain("Unrecognized", "Error:", "Warning: Unknown");
    // The pod keeps the image's flags rather than replacing them.
    assertThat(list(container.get("env"))).noneMatch(e -> "JAVA_TOOL_OPTIONS".equals(e.get("name")));
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The first descendant along {@code names}, each a direct child of the one before. */
  private static Element child(Element e, String... names) {
    Element at = e;
    for (String name : names) {
      Element found = null;
      for (Node n = at.getFirstChild(); n != null && found == null; n = n.getNextSibling()) {
        if (n instanceof Element el && el.getTagName().equals(name)) found = el;
      }
      assertThat(found).as("<%s> in <%s>", name, at.getTagName()).isNotNull();
      at = found;
    }
    return at;
  }

  private static String text(Element e, String name) {
    return child(e, name).getTextContent().trim();
  }

  private static List<String> texts(Element e, String name) {
    List<String> out = new ArrayList<>();
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element el && el.getTagName().equals(name)) out.add(el.getTextContent().trim());
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> m, String key) {
    return (Map<String, Object>) m.get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object o) {
    return (List<Map<String, Object>>) o;
  }
}
