package io.ecb;

import io.ecb.config.ConfigLoader;
import io.ecb.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README.md and docs/: the README stays short, links resolve, the operators' config reference is
 * ecb-defaults.json, and every shell command in them is either run here or names only what exists.
 * Every {@code sh} block that calls curl is run, a document's blocks in order in one bash session,
 * against real nodes started as the documents' own {@code java -jar target/ecb.jar} lines start
 * them (conf/config.json plus their ECB_* variables, the documents' ports mapped to free ones).
 */
class DocsTest {

  private static final Path README = Path.of("README.md");
  /** Documents other changes write; links to them are checked once they exist. */
  private static final Set<String> WRITTEN_ELSEWHERE = Set.of("docs/sdk.md", "docs/live.md", "docs/architecture.md");
  private static final Pattern BLOCK = Pattern.compile("^```(\\w*)\\n(.*?)^```", Pattern.MULTILINE | Pattern.DOTALL);
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern INLINE = Pattern.compile("`([^`\\n]+)`");
  private static final Pattern START = Pattern.compile("^((?:ECB_[A-Z0-9_]+=\\S+\\s+)*)java -jar target/ecb\\.jar(\\s.*)?$");
  private static final Pattern ENV = Pattern.compile("(ECB_[A-Z0-9_]+)=(\\S+)");
  private static final Pattern DOC_PORT = Pattern.compile("\\b(80[89]\\d)\\b");

  @TempDir
  Path work;

  static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(README));
    try (Stream<Path> s = Files.list(Path.of("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  /** The fenced blocks of a document with language {@code sh}. */
  static List<String> shellBlocks(Path doc) throws IOException {
    List<String> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(Files.readString(doc));
    while (m.find()) {
      assertThat(m.group(1)).as("%s: shell blocks are marked sh", doc).isNotIn("bash", "shell", "console");
      if (m.group(1).equals("sh")) out.add(m.group(2));
    }
    return out;
  }

  /** Commands of a block: continuation lines joined, comments and blank lines dropped. */
  static List<String> commands(String block) {
    List<String> out = new ArrayList<>();
    for (String line : block.replace("\\\n", " ").split("\n")) {
      String l = line.replaceAll("\\s+#.*$", "").trim();
      if (!l.isEmpty() && !l.startsWith("#")) out.add(l);
    }
    return out;
  }

  // ---- README and links ----------------------------------------------------------------------

  @Test
  void theReadmeIsShortAndOpensWithTheTwoCommands() throws IOException {
    assertThat(Files.size(README)).isLessThanOrEqualTo(10 * 1024);
    List<String> blocks = shellBlocks(README);
    assertThat(commands(blocks.get(0))).containsExactly("mvn -q package -DskipTests && java -jar target/ecb.jar");
    assertThat(String.join("\n", blocks)).contains("mvn verify", ".ci/run");
    assertThat(Files.readString(Path.of(".ci/run"))).contains("mvn -B verify -Pbrowser");
    for (String doc : List.of("docs/clients.md", "docs/backend.md", "docs/operators.md", "docs/design.md")) {
      assertThat(Path.of(doc)).isRegularFile();
      assertThat(Files.readString(README)).contains("](" + doc + ")");
    }
  }

  @Test
  void everyRelativeLinkResolves() throws IOException {
    for (Path doc : documents()) {
      Matcher m = LINK.matcher(Files.readString(doc));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) continue; // http(s), mailto
        String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        Path resolved = file.isEmpty() ? doc : doc.toAbsolutePath().getParent().resolve(file).normalize();
        String relative = Path.of("").toAbsolutePath().relativize(resolved.toAbsolutePath()).toString();
        if (WRITTEN_ELSEWHERE.contains(relative) && !Files.exists(resolved)) continue;
        assertThat(resolved).as("%s links to %s", doc, target).exists();
        if (anchor != null) assertThat(anchors(resolved)).as("%s links to %s", doc, target).contains(anchor);
      }
    }
  }

  /** GitHub's heading anchors of a Markdown file. */
  private static Set<String> anchors(Path doc) throws IOException {
    Set<String> out = new TreeSet<>();
    String text = Files.readString(doc).replaceAll("(?ms)^```.*?^```", "");
    for (String line : text.split("\n")) {
      if (!line.startsWith("#")) continue;
      out.add(line.replaceFirst("^#+\\s*", "").toLowerCase().replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
    }
    return out;
  }

  // ---- config reference ----------------------------------------------------------------------

  @Test
  void theOperatorsConfigReferenceIsEcbDefaultsJson() throws IOException {
    Map<String, Object> documented = new TreeMap<>();
    String text = Files.readString(Path.of("docs/operators.md"));
    Matcher m = Pattern.compile("(?m)^\\| `([a-zA-Z0-9.]+)` \\| `([^`]*)` \\|").matcher(text.substring(text.indexOf("**Keys.**")));
    while (m.find()) {
      assertThat(documented.put(m.group(1), new JsonArray("[" + m.group(2) + "]").getValue(0))).as("%s once", m.group(1)).isNull();
    }
    Map<String, Object> defaults = new TreeMap<>();
    leaves(ConfigLoader.defaults(), "", defaults);
    assertThat(documented).isEqualTo(defaults);
  }

  private static void leaves(JsonObject o, String prefix, Map<String, Object> out) {
    for (String key : o.fieldNames()) {
      Object v = o.getValue(key);
      if (v instanceof JsonObject child && !child.isEmpty()) leaves(child, prefix + key + ".", out);
      else out.put(prefix + key, v);
    }
  }

  // ---- commands ------------------------------------------------------------------------------

  @Test
  void everyCommandThatIsNotRunNamesWhatExists() throws IOException {
    Map<String, Object> keys = new TreeMap<>();
    leaves(ConfigLoader.defaults(), "", keys);
    Set<String> variables = new TreeSet<>(Set.of("ECB_CONFIG"));
    for (String key : keys.keySet()) {
      StringBuilder name = new StringBuilder("ECB");
      for (String part : key.split("\\.")) name.append('_').append(part.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase());
      variables.add(name.toString());
    }
    String pom = Files.readString(Path.of("pom.xml"));
    int checked = 0;
    for (Path doc : documents()) {
      List<String> candidates = new ArrayList<>();
      for (String block : shellBlocks(doc)) if (!block.contains("curl ")) candidates.addAll(commands(block));
      Matcher inline = INLINE.matcher(Files.readString(doc).replaceAll("(?ms)^```.*?^```", ""));
      while (inline.find()) {
        String code = inline.group(1);
        if (code.matches("^(mvn|java|kubectl|bash|\\.ci/|ECB_[A-Z0-9_]+=).*")) candidates.add(code);
        if (code.matches("ECB_[A-Z0-9_]+")) assertThat(variables).as("%s names %s", doc, code).contains(code);
      }
      for (String line : candidates) {
        for (String command : line.split("&&")) {
          checkCommand(doc, command.trim(), variables, pom);
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(8);
  }

  private static void checkCommand(Path doc, String command, Set<String> variables, String pom) {
    String where = doc + ": " + command;
    Matcher env = ENV.matcher(command);
    while (env.find()) assertThat(variables).as("%s: %s names a config key", where, env.group(1)).contains(env.group(1));
    if (command.matches("ECB_[A-Z0-9_]+=[^=]*") && !command.contains("java ")) return; // a setting, named above
    String program = command.replaceAll("^(ECB_[A-Z0-9_]+=(\"[^\"]*\"|\\S+)(\\s+|$))*", "");
    if (program.startsWith("mvn ")) {
      Matcher profile = Pattern.compile("-P(\\w+)").matcher(program);
      while (profile.find()) assertThat(pom).as(where).contains("<id>" + profile.group(1) + "</id>");
      Matcher goal = Pattern.compile("\\s(\\w+):(\\w+)").matcher(program);
      while (goal.find()) assertThat(pom).as(where).contains("<artifactId>" + goal.group(1) + "-maven-plugin</artifactId>");
    } else if (program.startsWith("java -jar target/ecb.jar")) {
      assertThat(program).as(where).matches("java -jar target/ecb\\.jar( -conf \\S+)?");
    } else if (program.startsWith("kubectl apply -k ")) {
      assertThat(Path.of(program.substring(17).trim(), "kustomization.yaml")).as(where).isRegularFile();
    } else if (program.startsWith(".ci/") || program.startsWith("bash ")) {
      Path script = Path.of(program.replaceFirst("^bash ", "").split("\\s+")[0]);
      assertThat(script).as(where).isRegularFile();
    } else if (!program.isEmpty()) {
      throw new AssertionError("a command the documents should not hold unrun: " + where);
    }
  }

  // ---- curl examples against real nodes ------------------------------------------------------

  @Test
  @Timeout(300)
  void everyCurlExampleRunsAgainstNodesStartedAsTheDocumentsStartThem() throws Exception {
    Map<Path, String> scripts = new LinkedHashMap<>();
    Set<String> ports = new TreeSet<>();
    Map<String, Map<String, String>> envByPort = new TreeMap<>();
    for (Path doc : documents()) {
      StringBuilder script = new StringBuilder();
      for (String block : shellBlocks(doc)) {
        if (block.contains("curl ")) {
          script.append(block).append('\n');
          Matcher p = DOC_PORT.matcher(block);
          while (p.find()) ports.add(p.group(1));
        }
        for (String line : commands(block)) {
          for (String command : line.split("&&")) {
            Matcher start = START.matcher(command.trim());
            if (!start.matches() || command.contains("$(")) continue;
            Map<String, String> env = new HashMap<>();
            Matcher e = ENV.matcher(start.group(1));
            while (e.find()) env.put(e.group(1), e.group(2));
            envByPort.computeIfAbsent(env.getOrDefault("ECB_HTTP_PORT", "8080"), k -> new HashMap<>()).putAll(env);
          }
        }
      }
      if (script.length() > 0) scripts.put(doc, script.toString());
    }
    assertThat(scripts).as("documents with curl examples").hasSizeGreaterThanOrEqualTo(3);
    assertThat(envByPort.keySet()).as("every port the examples call has a start line").containsAll(ports);

    Map<String, Integer> real = new TreeMap<>();
    for (String port : ports) real.put(port, TestNode.freePort());
    String cluster = TestNode.newClusterName();
    List<TestNode> nodes = new ArrayList<>();
    try {
      for (String port : ports) {
        Map<String, String> env = new HashMap<>(envByPort.get(port));
        env.replaceAll((k, v) -> mapPorts(v, real));
        JsonObject config = ConfigLoader.load(Path.of("conf/config.json"), env);
        JsonObject cluster0 = TestNode.config(cluster, "unused", io.ecb.support.TestKeys.rsa()).getJsonObject("cluster");
        config.put("cluster", cluster0);
        config.getJsonObject("http").put("host", "127.0.0.1").put("port", real.get(port));
        nodes.add(TestNode.start(config).await());
      }
      for (Map.Entry<Path, String> s : scripts.entrySet()) run(s.getKey(), mapPorts(s.getValue(), real));
    } finally {
      for (TestNode n : nodes) n.close().await();
    }
  }

  private static String mapPorts(String text, Map<String, Integer> real) {
    Matcher m = DOC_PORT.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) m.appendReplacement(out, String.valueOf(real.getOrDefault(m.group(1), Integer.parseInt(m.group(1)))));
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Runs a document's examples in bash: any failing command fails it, curl fails on an HTTP error
   * status, and a streaming curl ({@code -N}) is cut after 3 s.
   */
  private void run(Path doc, String script) throws Exception {
    String prelude = """
      set -euo pipefail
      curl() {
        local a
        for a in "$@"; do
          if [ "$a" = "-N" ]; then command curl -sS --max-time 3 "$@" || [ $? -eq 28 ]; return; fi
        done
        command curl -sS --fail-with-body --max-time 30 "$@"
      }
      """;
    Path file = work.resolve(doc.getFileName() + ".sh");
    Files.writeString(file, prelude + script);
    Process p = new ProcessBuilder("bash", file.toString()).directory(work.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", doc).isTrue();
    assertThat(p.exitValue()).as("%s examples:\n%s\n---\n%s", doc, script, out).isZero();
  }
}
