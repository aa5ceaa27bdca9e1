package io.ecb.ops;

import io.ecb.support.NodeTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * k8s/grafana-dashboard.json reads only series that a node which has served nothing yet already
 * exports on /metrics, with the label values the dashboard selects on.
 */
@Timeout(60)
class GrafanaDashboardTest extends NodeTestBase {

  private static final Path DASHBOARD = Path.of("k8s", "grafana-dashboard.json");
  private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)?\\{([^}]*)}");
  private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!=|!~|=)\\s*\"([^\"]*)\"");
  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
    "group_right", "and", "or", "unless", "bool", "offset");

  /** One selector of a query: a metric name and the label values it requires to be equal. */
  record Series(String name, Map<String, String> labels) {
  }

  @Test
  void everySeriesTheDashboardQueriesIsExportedFromStart() throws IOException {
    Map<String, List<Map<String, String>>> exported = exported(http.get(node.port(), "127.0.0.1", "/metrics").send().await().bodyAsString());
    List<Series> queried = new ArrayList<>();
    for (String q : queries(new JsonObject(Files.readString(DASHBOARD)))) queried.addAll(series(q));
    assertThat(queried).as("series the dashboard queries").hasSizeGreaterThan(15);
    for (Series s : queried) {
      assertThat(exported).as("a fresh node's /metrics has %s", s.name()).containsKey(s.name());
      assertThat(exported.get(s.name())).as("%s with %s", s.name(), s.labels())
        .anySatisfy(labels -> assertThat(labels).containsAllEntriesOf(s.labels()));
    }
  }

  @Test
  void everyPanelRequiredByTheOperatorsIsThere() throws IOException {
    List<String> all = queries(new JsonObject(Files.readString(DASHBOARD)));
    String joined = String.join("\n", all);
    for (String name : List.of("ecb_connections", "ecb_subscriptions", "ecb_deliveries_total", "ecb_dropped_messages_total",
      "ecb_recovered_messages_total", "ecb_webhook_seconds_bucket", "ecb_webhook_seconds_count", "ecb_backend_circuit_state",
      "jvm_memory_used_bytes", "jvm_gc_collection_seconds_sum", "ecb_cluster_nodes")) {
      assertThat(joined).as("a panel reads %s", name).contains(name);
    }
    assertThat(joined).contains("sum by (transport) (ecb_connections").contains("sum by (operation, le)");
  }

  /** Every PromQL expression of the panels and of the template variables. */
  static List<String> queries(JsonObject dashboard) {
    List<String> out = new ArrayList<>();
    for (Object p : dashboard.getJsonArray("panels")) {
      JsonArray targets = ((JsonObject) p).getJsonArray("targets", new JsonArray());
      for (Object t : targets) out.add(((JsonObject) t).getString("expr"));
    }
    for (Object v : dashboard.getJsonObject("templating").getJsonArray("list")) {
      Object query = ((JsonObject) v).getValue("query");
      if (query instanceof JsonObject q) {
        // label_values(metric, label): the metric is the series read.
        Matcher m = Pattern.compile("label_values\\(([^,]+),").matcher(q.getString("query"));
        assertThat(m.find()).as("template query %s", q).isTrue();
        out.add(m.group(1).trim());
      }
    }
    return out;
  }

  /** The series selectors of a PromQL expression. */
  static List<Series> series(String expr) {
    List<Series> out = new ArrayList<>();
    // Selectors with braces first, then bare metric names in what remains.
    Matcher m = SELECTOR.matcher(expr);
    StringBuilder rest = new StringBuilder();
    while (m.find()) {
      Map<String, String> labels = new LinkedHashMap<>();
      Matcher lm = MATCHER.matcher(m.group(2));
      while (lm.find()) if (lm.group(2).equals("=")) labels.put(lm.group(1), lm.group(3));
      if (m.group(1) != null) out.add(new Series(m.group(1), labels));
      m.appendReplacement(rest, " ");
    }
    m.appendTail(rest);
    String bare = rest.toString()
      .replaceAll("\\[[^]]*]", " ")
      .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", " ");
    Matcher im = IDENT.matcher(bare);
    while (im.find()) {
      String name = im.group();
      int after = im.end();
      while (after < bare.length() && bare.charAt(after) == ' ') after++;
      boolean function = after < bare.length() && bare.charAt(after) == '(';
      if (!function && !KEYWORDS.contains(name)) out.add(new Series(name, Map.of()));
    }
    return out;
  }

  /** Series names of a Prometheus text exposition, with the label sets of each. */
  static Map<String, List<Map<String, String>>> exported(String text) {
    Map<String, List<Map<String, String>>> out = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
      Map<String, String> labels = new HashMap<>();
      if (brace >= 0 && brace < space) {
        Matcher lm = MATCHER.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (lm.find()) labels.put(lm.group(1), lm.group(3));
      }
      out.computeIfAbsent(name, n -> new ArrayList<>()).add(labels);
    }
    return out;
  }
}
