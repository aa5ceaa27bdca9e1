package io.ecb.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.XmlConfigBuilder;
// SnakeYAML Engine (YAML 1.2), as shipped inside the Hazelcast jar. The project has no direct
// SnakeYAML dependency; see yamlDocuments() for the one place that would change with one.
import com.hazelcast.shaded.org.snakeyaml.engine.v2.api.Load;
import com.hazelcast.shaded.org.snakeyaml.engine.v2.api.LoadSettings;
import io.ecb.config.ConfigLoader;
import io.ecb.config.EcbConfig;
import io.ecb.demo.DemoBackend;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Kubernetes manifests under {@code k8s/} checked against the code they deploy: ports, probe
 * paths, {@code ECB_*} variables and the ConfigMap's config.json against ecb-defaults.json and
 * {@link ConfigLoader}, the ConfigMap's cluster.xml through Hazelcast and {@link ClusterSetup},
 * shutdown timing against {@code shutdown.drainSeconds}, and label selectors against each other.
 */
class KubernetesManifestsTest {

  private static final Path DIR = Path.of("k8s");
  /** What the downward API would put in ECB_CLUSTER_HOST. */
  private static final String POD_IP = "10.244.1.17";

  /** Documents per file name, in file order. */
  private static final Map<String, List<Map<String, Object>>> FILES = new TreeMap<>();
  private static final List<Map<String, Object>> DOCS = new ArrayList<>();

  @TempDir
  Path tmp;

  @BeforeAll
  static void parse() throws IOException {
    assertThat(DIR).as("k8s/ beside pom.xml").isDirectory();
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      List<Map<String, Object>> docs = yamlDocuments(Files.readString(f));
      assertThat(docs).as("%s holds at least one document", f).isNotEmpty();
      FILES.put(f.getFileName().toString(), docs);
      DOCS.addAll(docs);
    }
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> yamlDocuments(String text) {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(text)) {
      if (doc == null) continue; // an empty document, e.g. after a trailing ---
      assertThat(doc).as("a document is a mapping").isInstanceOf(Map.class);
      docs.add((Map<String, Object>) doc);
    }
    return docs;
  }

  // ---------------------------------------------------------------------------------------------
  // Structure

  @Test
  void everyDocumentHasApiVersionKindAndName() {
    FILES.forEach((file, docs) -> docs.forEach(d -> {
      assertThat(d.get("apiVersion")).as("%s: apiVersion", file).isInstanceOf(String.class);
      assertThat(d.get("kind")).as("%s: kind", file).isInstanceOf(String.class);
      assertThat(str(d, "metadata", "name")).as("%s: metadata.name of %s", file, d.get("kind")).isNotBlank();
    }));
  }

  @Test
  void kustomizationListsEveryManifestAndAllShareOneNamespace() {
    Map<String, Object> k = one("Kustomization");
    Set<String> listed = new TreeSet<>(strings(k.get("resources")));
    Set<String> files = new TreeSet<>(FILES.keySet());
    files.removeIf(f -> FILES.get(f).stream().anyMatch(d -> "Kustomization".equals(d.get("kind"))));
    assertThat(listed).as("kustomization resources = the manifest files").isEqualTo(files);

    String ns = namespace();
    assertThat(k.get("namespace")).as("kustomization namespace").isIn(null, ns);
    for (Map<String, Object> d : DOCS) {
      String kind = (String) d.get("kind");
      if (kind.equals("Kustomization")) continue;
      if (kind.equals("Namespace")) {
        assertThat(str(d, "metadata", "name")).isEqualTo(ns);
      } else {
        assertThat(str(d, "metadata", "namespace")).as("namespace of %s %s", kind, str(d, "metadata", "name")).isEqualTo(ns);
      }
    }
  }

  @Test
  void noRbacIsDeployedBecauseDiscoveryIsByDns() {
    assertThat(DOCS).extracting(d -> d.get("kind"))
      .doesNotContain("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "ServiceAccount");
    assertThat(podSpec().get("automountServiceAccountToken")).as("no API token in the pods").isEqualTo(false);
  }

  // ---------------------------------------------------------------------------------------------
  // Deployment: ports, probes, rollout, JVM, security

  @Test
  void containerPortsMatchTheDefaultsAndTheEffectiveConfig() throws IOException {
    EcbConfig defaults = new EcbConfig(ConfigLoader.defaults());
    EcbConfig effective = effectiveConfig();
    assertThat(containerPort("http")).isEqualTo(defaults.http.port).isEqualTo(effective.http.port).isEqualTo(8080);
    assertThat(containerPort("hazelcast")).isEqualTo(defaults.cluster.port).isEqualTo(effective.cluster.port).isEqualTo(5701);
    // The default 0 (any free port) cannot be named by a network policy; Kubernetes fixes it.
    assertThat(defaults.cluster.eventBusPort).isZero();
    assertThat(containerPort("eventbus")).isEqualTo(effective.cluster.eventBusPort).isEqualTo(5710);
    assertThat(list(container(), "ports")).as("no other ports").hasSize(3);
  }

  @Test
  void probesUseHealthAndReadyOnTheHttpPort() {
    Map<String, Object> c = container();
    assertThat(str(c, "livenessProbe", "httpGet", "path")).isEqualTo("/health");
    assertThat(str(c, "readinessProbe", "httpGet", "path")).isEqualTo("/ready");
    assertThat(str(c, "startupProbe", "httpGet", "path")).isEqualTo("/health");
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      assertThat(resolvePort(get(c, probe, "httpGet", "port"))).as("%s port", probe).isEqualTo(containerPort("http"));
      int period = intOf(get(c, probe, "periodSeconds"));
      int timeout = intOf(get(c, probe, "timeoutSeconds"));
      assertThat(timeout).as("%s timeout below its period", probe).isPositive().isLessThan(period);
    }
    // The startup probe gives the node time to join the cluster before liveness may restart it.
    int startupBudget = intOf(get(c, "startupProbe", "periodSeconds")) * intOf(get(c, "startupProbe", "failureThreshold"));
    assertThat(startupBudget).isGreaterThanOrEqualTo(60);

    Map<String, Object> annotations = map(template(), "metadata", "annotations");
    assertThat(annotations.get("prometheus.io/path")).isEqualTo("/metrics");
    assertThat(Integer.parseInt((String) annotations.get("prometheus.io/port"))).isEqualTo(containerPort("http"));
  }

  @Test
  void rolloutAddsOneMemberBeforeRemovingOneAndSpreadsOverNodes() {
    Map<String, Object> spec = map(deployment(), "spec");
    assertThat(intOf(spec.get("replicas"))).isEqualTo(3);
    assertThat(str(spec, "strategy", "type")).isEqualTo("RollingUpdate");
    assertThat(intOf(get(spec, "strategy", "rollingUpdate", "maxUnavailable"))).isZero();
    assertThat(intOf(get(spec, "strategy", "rollingUpdate", "maxSurge"))).isEqualTo(1);

    List<Map<String, Object>> terms = maps(get(podSpec(), "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"));
    assertThat(terms).isNotEmpty();
    for (Map<String, Object> t : terms) {
      assertThat(str(t, "podAffinityTerm", "topologyKey")).isEqualTo("kubernetes.io/hostname");
      assertSelects(map(t, "podAffinityTerm", "labelSelector", "matchLabels"), "anti-affinity term");
    }
  }

  @Test
  void theImagesEntrypointReadsTheConfigFromTheConfigMapMount() {
    // No command: the image's entrypoint (ContainerImageTest) starts ECB with its JVM flags.
    assertThat(container().get("command")).isNull();
    List<String> args = strings(container().get("args"));
    int i = args.indexOf("-conf");
    assertThat(i).as("-conf FILE").isNotNegative();
    assertThat(args.get(i + 1)).isEqualTo(configMount() + "/config.json");
    assertThat(configMapData()).containsKey("config.json");
  }

  @Test
  void podRunsNonRootOnAReadOnlyRootWithAWritableTmp() {
    Map<String, Object> pod = map(podSpec(), "securityContext");
    Map<String, Object> c = map(container(), "securityContext");
    assertThat(c.get("runAsNonRoot") != null ? c.get("runAsNonRoot") : pod.get("runAsNonRoot")).isEqualTo(true);
    assertThat(intOf(c.get("runAsUser") != null ? c.get("runAsUser") : pod.get("runAsUser"))).isPositive();
    assertThat(c.get("readOnlyRootFilesystem")).isEqualTo(true);
    assertThat(c.get("allowPrivilegeEscalation")).isEqualTo(false);
    assertThat(strings(get(c, "capabilities", "drop"))).contains("ALL");
    assertThat(str(pod, "seccompProfile", "type")).isEqualTo("RuntimeDefault");

    String tmpVolume = maps(container().get("volumeMounts")).stream()
      .filter(v -> "/tmp".equals(v.get("mountPath"))).map(v -> (String) v.get("name")).findFirst().orElse(null);
    assertThat(tmpVolume).as("a volume at /tmp").isNotNull();
    assertThat(volume(tmpVolume)).containsKey("emptyDir");

    Map<String, Object> resources = map(container(), "resources");
    assertThat(map(resources, "requests")).containsKeys("cpu", "memory");
    assertThat(map(resources, "limits")).containsKey("memory");
  }

  // ---------------------------------------------------------------------------------------------
  // Environment and config

  @Test
  void everyEcbVariableNamesAConfigKey() throws IOException {
    Map<String, String> known = envNames(ConfigLoader.defaults());
    assertThat(known).containsEntry("ECB_CLUSTER_KUBERNETES_SERVICE_DNS", "cluster.kubernetes.serviceDns")
      .containsEntry("ECB_BACKEND_WEBHOOK_SECRET", "backend.webhookSecret")
      .containsEntry("ECB_HTTP_PORT", "http.port");

    List<String> names = envEntries().stream().map(e -> (String) e.get("name")).toList();
    assertThat(names).doesNotHaveDuplicates();
    // ECB_CONFIG is Main's way of naming the config file, not a key (the Deployment uses -conf).
    List<String> ecb = names.stream().filter(n -> n.startsWith("ECB_") && !n.equals("ECB_CONFIG")).toList();
    assertThat(ecb).isNotEmpty();
    assertThat(ecb).as("ECB_* variables without a config key").allMatch(known::containsKey);
    assertThat(maps(container().get("envFrom"))).as("envFrom would hide which keys are set").isEmpty();

    // And ConfigLoader itself applies each of them: the effective value is the variable's value.
    JsonObject effective = effectiveJson();
    Map<String, String> env = resolvedEnv();
    for (String name : ecb) {
      Object value = at(effective, known.get(name));
      String rendered = value instanceof JsonArray a
        ? a.stream().map(String::valueOf).collect(Collectors.joining(","))
        : String.valueOf(value);
      String expected = value instanceof JsonArray
        ? String.join(",", EcbConfigStrings.of(env.get(name)))
        : value instanceof String ? env.get(name) : env.get(name).trim();
      assertThat(rendered).as("%s -> %s", name, known.get(name)).isEqualTo(expected);
    }

    Map<String, Object> host = envEntry("ECB_CLUSTER_HOST");
    assertThat(str(host, "valueFrom", "fieldRef", "fieldPath")).as("cluster.host is the pod IP").isEqualTo("status.podIP");
    assertThat(effectiveConfigOf(effective).cluster.host).isEqualTo(POD_IP);

    // Kubernetes would add ECB_SERVICE_HOST, ECB_PORT, ... for the Service "ecb" into the ECB_*
    // namespace; keep such variables out of the pods.
    assertThat(podSpec().get("enableServiceLinks")).isEqualTo(false);
  }

  @Test
  void configMapConfigJsonUsesOnlyKnownKeysAndSetsUpKubernetes() throws IOException {
    String text = configMapData().get("config.json");
    JsonObject cm = new JsonObject(text); // fails on invalid JSON
    JsonObject defaults = ConfigLoader.defaults();
    List<String> unknown = new ArrayList<>();
    unknownKeys(cm, defaults, "", unknown);
    assertThat(unknown).as("config.json keys missing from ecb-defaults.json").isEmpty();

    EcbConfig c = new EcbConfig(ConfigLoader.merge(ConfigLoader.defaults(), cm.copy()));
    assertThat(c.demo.enabled).isFalse();
    assertThat(c.cluster.kubernetesServiceDns).isEqualTo(str(headlessService(), "metadata", "name") + "." + namespace() + ".svc.cluster.local");
    assertThat(c.cluster.eventBusPort).isEqualTo(5710);
    assertThat(c.cluster.configFile).isEqualTo(configMount() + "/cluster.xml");
    assertThat(configMapData()).containsKey("cluster.xml");

    // With the Deployment's variables, as Main builds it: the demo stays off and does not fill
    // in the auth key, backend URL or webhook secret, so the manifests must supply all three.
    EcbConfig effective = effectiveConfig();
    assertThat(effective.demo.enabled).isFalse();
    assertThat(effective.auth.publicKey).as("auth.publicKey").isNotBlank().isNotEqualTo(DemoBackendKey.pem());
    assertThat(effective.backend.url).as("backend.url").isNotBlank().doesNotContain("/demo/");
    assertThat(effective.backend.webhookSecrets).as("backend.webhookSecret").isNotEmpty();
    assertThat(effective.cluster.kubernetesServiceDns).isEqualTo(c.cluster.kubernetesServiceDns);
  }

  @Test
  void configMapClusterXmlParsesAndKeepsTheSettingsOfConfClusterXml() throws IOException {
    String xml = configMapData().get("cluster.xml");
    Config hz = new XmlConfigBuilder(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).build();
    MapConfig streams = hz.getMapConfigs().get("ecb.streams");
    assertThat(streams).as("map ecb.streams").isNotNull();
    assertThat(streams.getBackupCount()).isGreaterThanOrEqualTo(1);
    assertThat(hz.getMapConfigs()).as("map ecb.dedup").containsKey("ecb.dedup");

    Config conf = new XmlConfigBuilder("conf/cluster.xml").build();
    assertThat(hz.getClusterName()).isEqualTo(conf.getClusterName());
    assertThat(hz.getProperties()).isEqualTo(conf.getProperties());
    assertThat(hz.getMapConfigs()).isEqualTo(conf.getMapConfigs());
    assertThat(hz.getMultiMapConfigs()).isEqualTo(conf.getMultiMapConfigs());
    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(conf.getNetworkConfig().getPort());
  }

  @Test
  void effectiveHazelcastConfigJoinsThroughTheHeadlessServiceDns() throws IOException {
    Path xml = tmp.resolve("cluster.xml");
    Files.writeString(xml, configMapData().get("cluster.xml"));
    JsonObject json = effectiveJson();
    json.getJsonObject("cluster").put("configFile", xml.toString());
    EcbConfig.Cluster cluster = new EcbConfig(json).cluster;

    Config hz = ClusterSetup.hazelcastConfig(cluster);
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns"))
      .isEqualTo(str(headlessService(), "metadata", "name") + "." + namespace() + ".svc.cluster.local");
    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(containerPort("hazelcast"));
    assertThat(hz.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly(POD_IP);
    // Bound to the pod IP alone, not to every interface of the pod.
    assertThat(hz.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    assertThat(hz.getMapConfigs().get("ecb.streams").getBackupCount()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void secretKeysReferencedByTheDeploymentExist() {
    Map<String, Object> secret = one("Secret");
    String secretName = str(secret, "metadata", "name");
    Set<String> keys = new TreeSet<>();
    if (secret.get("stringData") instanceof Map<?, ?> sd) sd.keySet().forEach(k -> keys.add((String) k));
    if (secret.get("data") instanceof Map<?, ?> d) d.keySet().forEach(k -> keys.add((String) k));

    List<Map<String, Object>> refs = envEntries().stream()
      .filter(e -> get(e, "valueFrom", "secretKeyRef") != null)
      .map(e -> map(e, "valueFrom", "secretKeyRef")).toList();
    assertThat(refs).as("secrets come in through secretKeyRef").hasSizeGreaterThanOrEqualTo(3);
    for (Map<String, Object> ref : refs) {
      assertThat(ref.get("name")).isEqualTo(secretName);
      assertThat(keys).contains((String) ref.get("key"));
    }
    for (String sensitive : List.of("ECB_BACKEND_WEBHOOK_SECRET", "ECB_AUTH_PUBLIC_KEY", "ECB_PUBLISHERS",
      "ECB_PUSH_NOTIFY_SECRET", "ECB_PUSH_CHANNEL_SENDER_SECRET")) {
      assertThat(get(envEntry(sensitive), "valueFrom", "secretKeyRef")).as("%s from the Secret", sensitive).isNotNull();
    }
  }

  @Test
  void networkPolicyAdmitsTheClusterPortsOnlyFromEcbPodsAndHttpFromAnywhere() throws IOException {
    Map<String, Object> policy = one("NetworkPolicy");
    assertSelects(map(policy, "spec", "podSelector", "matchLabels"), "NetworkPolicy");
    assertThat(strings(get(policy, "spec", "policyTypes"))).contains("Ingress");

    EcbConfig effective = effectiveConfig();
    int httpPort = containerPort("http");
    Set<Integer> clusterPorts = Set.of(containerPort("hazelcast"), containerPort("eventbus"));
    assertThat(clusterPorts).containsExactlyInAnyOrder(effective.cluster.port, effective.cluster.eventBusPort);
    assertThat(httpPort).isEqualTo(effective.http.port);

    Set<Integer> fromAnywhere = new TreeSet<>();
    Set<Integer> fromEcbPods = new TreeSet<>();
    for (Map<String, Object> rule : maps(get(policy, "spec", "ingress"))) {
      List<Map<String, Object>> ports = maps(rule.get("ports"));
      assertThat(ports).as("every rule names its ports (none admits all ports)").isNotEmpty();
      List<Map<String, Object>> from = maps(rule.get("from"));
      Set<Integer> numbers = new TreeSet<>();
      for (Map<String, Object> p : ports) {
        assertThat(p.get("protocol")).isIn(null, "TCP");
        assertThat(p.get("endPort")).as("no port ranges").isNull();
        numbers.add(resolvePort(p.get("port")));
      }
      if (from.isEmpty()) {
        fromAnywhere.addAll(numbers);
        continue;
      }
      for (Map<String, Object> peer : from) {
        assertThat(peer).as("peers are ECB pods of this namespace: no ipBlock or namespaceSelector").containsOnlyKeys("podSelector");
        assertSelects(map(peer, "podSelector", "matchLabels"), "NetworkPolicy peer");
      }
      fromEcbPods.addAll(numbers);
    }
    assertThat(fromAnywhere).as("ports open to anyone").containsExactly(httpPort);
    assertThat(fromEcbPods).as("ports open to ECB pods").containsExactlyInAnyOrderElementsOf(clusterPorts);
    // Together they cover every port the container has.
    assertThat(maps(container().get("ports"))).extracting(p -> intOf(p.get("containerPort")))
      .containsExactlyInAnyOrder(httpPort, effective.cluster.port, effective.cluster.eventBusPort);
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown, Services, PDB

  @Test
  void terminationGraceCoversPreStopAndDrain() throws IOException {
    long drain = effectiveConfig().shutdown.drainSeconds;
    int preStop = preStopSleepSeconds();
    int grace = intOf(podSpec().get("terminationGracePeriodSeconds"));
    assertThat(preStop).as("preStop sleep").isPositive();
    assertThat((long) grace).as("terminationGracePeriodSeconds > drain %d + preStop %d", drain, preStop)
      .isGreaterThan(drain + preStop);
  }

  @Test
  void clientServiceTargetsHttpWithClientIpAffinity() {
    Map<String, Object> svc = clientService();
    assertThat(str(svc, "spec", "sessionAffinity")).isEqualTo("ClientIP");
    List<Map<String, Object>> ports = maps(get(svc, "spec", "ports"));
    assertThat(ports).hasSize(1);
    assertThat(resolvePort(ports.get(0).get("targetPort"))).isEqualTo(containerPort("http"));
    assertThat(intOf(ports.get(0).get("port"))).isEqualTo(80);
    assertSelects(map(svc, "spec", "selector"), "client Service");
  }

  @Test
  void headlessServicePublishesHazelcastPortsOfNotReadyPods() {
    Map<String, Object> svc = headlessService();
    assertThat(get(svc, "spec", "publishNotReadyAddresses")).isEqualTo(true);
    List<Map<String, Object>> ports = maps(get(svc, "spec", "ports"));
    assertThat(ports).anySatisfy(p -> {
      assertThat(intOf(p.get("port"))).isEqualTo(5701);
      assertThat(resolvePort(p.get("targetPort") != null ? p.get("targetPort") : p.get("port"))).isEqualTo(containerPort("hazelcast"));
    });
    assertSelects(map(svc, "spec", "selector"), "headless Service");
  }

  @Test
  void selectorsMatchThePodLabels() {
    assertSelects(map(deployment(), "spec", "selector", "matchLabels"), "Deployment selector");
    Map<String, Object> pdb = one("PodDisruptionBudget");
    assertSelects(map(pdb, "spec", "selector", "matchLabels"), "PodDisruptionBudget");
    int replicas = intOf(get(deployment(), "spec", "replicas"));
    Object minAvailable = get(pdb, "spec", "minAvailable");
    Object maxUnavailable = get(pdb, "spec", "maxUnavailable");
    assertThat(minAvailable == null ^ maxUnavailable == null).as("exactly one of minAvailable / maxUnavailable").isTrue();
    if (maxUnavailable != null) assertThat(intOf(maxUnavailable)).isBetween(1, replicas - 1);
    else assertThat(intOf(minAvailable)).isBetween(1, replicas - 1);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers: manifests

  private static Map<String, Object> one(String kind) {
    List<Map<String, Object>> found = DOCS.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    assertThat(found).as("exactly one %s", kind).hasSize(1);
    return found.get(0);
  }

  private static Map<String, Object> deployment() {
    return one("Deployment");
  }

  private static Map<String, Object> template() {
    return map(deployment(), "spec", "template");
  }

  private static Map<String, Object> podSpec() {
    return map(template(), "spec");
  }

  private static Map<String, Object> container() {
    List<Map<String, Object>> containers = maps(podSpec().get("containers"));
    assertThat(containers).as("one container").hasSize(1);
    return containers.get(0);
  }

  private static Map<String, Object> volume(String name) {
    return maps(podSpec().get("volumes")).stream().filter(v -> name.equals(v.get("name"))).findFirst()
      .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static List<Map<String, Object>> services() {
    return DOCS.stream().filter(d -> "Service".equals(d.get("kind"))).toList();
  }

  private static Map<String, Object> headlessService() {
    List<Map<String, Object>> found = services().stream().filter(s -> "None".equals(get(s, "spec", "clusterIP"))).toList();
    assertThat(found).as("one headless Service (clusterIP None)").hasSize(1);
    return found.get(0);
  }

  private static Map<String, Object> clientService() {
    List<Map<String, Object>> found = services().stream().filter(s -> !"None".equals(get(s, "spec", "clusterIP"))).toList();
    assertThat(found).as("one client Service").hasSize(1);
    return found.get(0);
  }

  private static String namespace() {
    return str(headlessService(), "metadata", "namespace");
  }

  private static void assertSelects(Map<String, Object> selector, String what) {
    Map<String, Object> labels = map(template(), "metadata", "labels");
    assertThat(selector).as("%s selector", what).isNotEmpty();
    assertThat(labels).as("pod labels selected by the %s", what).containsAllEntriesOf(selector);
  }

  private static int containerPort(String name) {
    return maps(container().get("ports")).stream().filter(p -> name.equals(p.get("name")))
      .map(p -> intOf(p.get("containerPort"))).findFirst()
      .orElseThrow(() -> new AssertionError("no container port named " + name));
  }

  /** A Service targetPort or probe port: a container port's name or number. */
  private static int resolvePort(Object ref) {
    if (ref instanceof String s && !s.chars().allMatch(Character::isDigit)) return containerPort(s);
    int n = intOf(ref);
    assertThat(maps(container().get("ports"))).extracting(p -> intOf(p.get("containerPort"))).contains(n);
    return n;
  }

  private static String configMount() {
    String configMap = str(configMapDoc(), "metadata", "name");
    String volume = maps(podSpec().get("volumes")).stream()
      .filter(v -> configMap.equals(get(v, "configMap", "name"))).map(v -> (String) v.get("name")).findFirst()
      .orElseThrow(() -> new AssertionError("no volume of ConfigMap " + configMap));
    Map<String, Object> mount = maps(container().get("volumeMounts")).stream()
      .filter(m -> volume.equals(m.get("name"))).findFirst()
      .orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted"));
    assertThat(mount.get("readOnly")).isEqualTo(true);
    return (String) mount.get("mountPath");
  }

  private static Map<String, Object> configMapDoc() {
    return one("ConfigMap");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> configMapData() {
    return (Map<String, String>) (Map<?, ?>) map(configMapDoc(), "data");
  }

  private static List<Map<String, Object>> envEntries() {
    return maps(container().get("env"));
  }

  private static Map<String, Object> envEntry(String name) {
    return envEntries().stream().filter(e -> name.equals(e.get("name"))).findFirst()
      .orElseThrow(() -> new AssertionError("no env " + name));
  }

  private static String envValue(String name) {
    return (String) envEntry(name).get("value");
  }

  /** The container's variables as the pod would see them: literals, the pod IP, the Secret's values. */
  private static Map<String, String> resolvedEnv() {
    Map<String, Object> secret = one("Secret");
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> e : envEntries()) {
      String name = (String) e.get("name");
      if (e.get("value") != null) {
        env.put(name, String.valueOf(e.get("value")));
      } else if ("status.podIP".equals(get(e, "valueFrom", "fieldRef", "fieldPath"))) {
        env.put(name, POD_IP);
      } else if (get(e, "valueFrom", "secretKeyRef") != null) {
        String key = str(e, "valueFrom", "secretKeyRef", "key");
        Object plain = secret.get("stringData") instanceof Map<?, ?> sd ? sd.get(key) : null;
        Object encoded = secret.get("data") instanceof Map<?, ?> d ? d.get(key) : null;
        String value = plain != null ? (String) plain
          : encoded != null ? new String(Base64.getDecoder().decode((String) encoded), StandardCharsets.UTF_8) : null;
        if (value == null) fail("Secret has no key " + key + " for " + name);
        env.put(name, value);
      } else {
        fail("env " + name + ": unsupported source " + e);
      }
    }
    return env;
  }

  private int preStopSleepSeconds() {
    Map<String, Object> preStop = map(container(), "lifecycle", "preStop");
    if (get(preStop, "sleep", "seconds") != null) return intOf(get(preStop, "sleep", "seconds"));
    String command = String.join(" ", strings(get(preStop, "exec", "command")));
    Matcher m = Pattern.compile("\\bsleep\\s+(\\d+)").matcher(command);
    assertThat(m.find()).as("preStop sleeps: %s", command).isTrue();
    return Integer.parseInt(m.group(1));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers: config

  /** Defaults + the ConfigMap's config.json + the Deployment's variables, as Main builds them. */
  private JsonObject effectiveJson() throws IOException {
    Path file = tmp.resolve("config-" + System.nanoTime() + ".json");
    Files.writeString(file, configMapData().get("config.json"));
    JsonObject json = ConfigLoader.load(file, resolvedEnv());
    DemoBackend.applyDefaults(json);
    return json;
  }

  private EcbConfig effectiveConfig() throws IOException {
    return effectiveConfigOf(effectiveJson());
  }

  private static EcbConfig effectiveConfigOf(JsonObject json) {
    return new EcbConfig(json);
  }

  /** ECB_* name of every settable key of the defaults, by ConfigLoader's rule: ECB_ + upper snake path. */
  private static Map<String, String> envNames(JsonObject defaults) {
    Map<String, String> names = new TreeMap<>();
    collectEnvNames(defaults, "ECB", "", names);
    return names;
  }

  private static void collectEnvNames(JsonObject node, String prefix, String path, Map<String, String> out) {
    for (String key : node.fieldNames()) {
      String name = prefix + "_" + snake(key);
      String p = path.isEmpty() ? key : path + "." + key;
      if (node.getValue(key) instanceof JsonObject child) collectEnvNames(child, name, p, out);
      else out.put(name, p);
    }
  }

  private static String snake(String camel) {
    StringBuilder sb = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c) && sb.length() > 0) sb.append('_');
      sb.append(Character.toUpperCase(c));
    }
    return sb.toString();
  }

  /** Keys of {@code json} absent from {@code defaults}; an empty default object is a free-form map. */
  private static void unknownKeys(JsonObject json, JsonObject defaults, String path, List<String> out) {
    for (String key : json.fieldNames()) {
      String p = path.isEmpty() ? key : path + "." + key;
      if (!defaults.containsKey(key)) {
        out.add(p);
        continue;
      }
      Object mine = json.getValue(key);
      Object theirs = defaults.getValue(key);
      if (theirs instanceof JsonObject d && !d.isEmpty()) {
        if (mine instanceof JsonObject m) unknownKeys(m, d, p, out);
        else out.add(p + " (should be an object)");
      } else if (mine instanceof JsonObject && !(theirs instanceof JsonObject)) {
        out.add(p + " (should not be an object)");
      }
    }
  }

  private static Object at(JsonObject json, String path) {
    Object v = json;
    for (String part : path.split("\\.")) v = ((JsonObject) v).getValue(part);
    return v;
  }

  /** EcbConfig's list rule for a variable: comma-separated, trimmed, blanks dropped. */
  private static final class EcbConfigStrings {
    static List<String> of(String raw) {
      return Stream.of(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
  }

  /** The demo's public key, which the demo would put in auth.publicKey when none is configured. */
  private static final class DemoBackendKey {
    static String pem() {
      JsonObject demo = ConfigLoader.defaults();
      demo.getJsonObject("demo").put("enabled", true);
      DemoBackend.applyDefaults(demo);
      return demo.getJsonObject("auth").getString("publicKey");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers: YAML trees

  private static Object get(Map<String, Object> root, String... path) {
    Object v = root;
    for (String p : path) {
      if (!(v instanceof Map<?, ?> m)) return null;
      v = m.get(p);
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> root, String... path) {
    Object v = get(root, path);
    assertThat(v).as("%s is a mapping", String.join(".", path)).isInstanceOf(Map.class);
    return (Map<String, Object>) v;
  }

  private static String str(Map<String, Object> root, String... path) {
    Object v = get(root, path);
    return v == null ? null : String.valueOf(v);
  }

  private static List<Object> list(Map<String, Object> root, String... path) {
    Object v = get(root, path);
    return v instanceof List<?> l ? new ArrayList<>(l) : List.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> maps(Object v) {
    if (v == null) return List.of();
    assertThat(v).isInstanceOf(List.class);
    return ((List<Object>) v).stream().map(o -> (Map<String, Object>) o).toList();
  }

  private static List<String> strings(Object v) {
    if (v == null) return List.of();
    assertThat(v).isInstanceOf(List.class);
    return ((List<?>) v).stream().map(String::valueOf).toList();
  }

  private static int intOf(Object v) {
    assertThat(v).as("a number").isNotNull();
    if (v instanceof Number n) return n.intValue();
    return Integer.parseInt(v.toString().trim());
  }
}
