package io.ecb.http;

import io.ecb.support.NodeTestBase;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /openapi.json: the document validates against the OpenAPI 3.1 schema (vertx-openapi), it and the
 * router list the same routes, and real responses of the client and push APIs match its schemas.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiTest extends NodeTestBase {

  private static final String KEY = "openapi-publisher";
  private JsonObject document;
  private OpenAPIContract contract;
  private ResponseValidator validator;

  @Override
  protected void configure(JsonObject config) {
    config.getJsonObject("demo").put("enabled", true);
    config.put("publishers", new JsonArray().add(KEY));
  }

  @BeforeAll
  void load() throws IOException {
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("openapi.json")) {
      assertThat(in).as("openapi.json on the classpath").isNotNull();
      document = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    contract = OpenAPIContract.from(vertx, validatableCopy(document)).await();
    validator = ResponseValidator.create(vertx, contract);
  }

  // ---- the document --------------------------------------------------------------------------

  @Test
  void theDocumentIsValidOpenApi31() {
    assertThat(OpenAPIVersion.fromContract(document)).isEqualTo(OpenAPIVersion.V3_1);
    assertThat(metaSchemaCheck(document).getValid()).as("%s", metaSchemaCheck(document).getErrors()).isTrue();
    // The check is a real one: a document with a broken operation does not pass.
    JsonObject broken = document.copy();
    broken.getJsonObject("paths").getJsonObject("/health").getJsonObject("get").put("responses", "none");
    assertThat(metaSchemaCheck(broken).getValid()).isFalse();
    assertThat(contract.operations()).hasSizeGreaterThan(40);
  }

  @Test
  void theNodeServesTheDocument() {
    HttpResponse<Buffer> r = http.get(node.port(), "127.0.0.1", "/openapi.json").send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    assertThat(r.bodyAsJsonObject()).isEqualTo(document);
  }

  @Test
  void everyWebhookIsDescribed() {
    assertThat(document.getJsonObject("webhooks").fieldNames()).containsExactlyInAnyOrder("getUserToken",
      "getContacts", "getThreads", "createThread", "getThread", "addThreadMessage", "markRead");
    for (String name : document.getJsonObject("webhooks").fieldNames()) {
      JsonObject post = document.getJsonObject("webhooks").getJsonObject(name).getJsonObject("post");
      assertThat(post.getJsonObject("requestBody")).as(name).isNotNull();
      assertThat(post.getJsonObject("responses").getJsonObject("200")).as(name).isNotNull();
      assertThat(post.getJsonArray("parameters").encode()).contains("ECB-Signature");
    }
  }

  // ---- document and router agree -------------------------------------------------------------

  @Test
  void everyRouteOfTheRouterIsInTheDocument() {
    Set<String> documented = operations();
    List<Route> routes = node.node.router().getRoutes();
    int checked = 0;
    for (Route route : routes) {
      String path = route.getPath();
      if (path == null) continue; // handlers of every request (client address, failures, the final 404)
      String openApiPath = path.replaceAll(":([A-Za-z]+)", "{$1}");
      Set<HttpMethod> methods = route.methods() == null ? Set.of() : route.methods();
      if (!route.isExactPath()) {
        assertThat(documented).as("a documented path under %s", path)
          .anyMatch(op -> op.substring(op.indexOf(' ') + 1).startsWith(openApiPath));
      } else if (methods.isEmpty()) {
        assertThat(documented).as("a documented operation on %s", path).anyMatch(op -> op.endsWith(" " + openApiPath));
      } else {
        for (HttpMethod m : methods) assertThat(documented).contains(m.name() + " " + openApiPath);
      }
      checked++;
    }
    assertThat(checked).isGreaterThan(40);
  }

  @Test
  void everyDocumentedOperationIsServed() {
    List<String> unserved = new ArrayList<>();
    for (String op : operations()) {
      String method = op.substring(0, op.indexOf(' '));
      String uri = examplePath(op);
      int status = probe(HttpMethod.valueOf(method), uri);
      if (status < 0) unserved.add(op + " (" + uri + ")");
    }
    assertThat(unserved).as("operations answered by a catch-all 404 or 405").isEmpty();
  }

  /** The path of {@code op} with each path parameter set to its example, or "x". */
  private String examplePath(String op) {
    String path = op.substring(op.indexOf(' ') + 1);
    JsonObject operation = document.getJsonObject("paths").getJsonObject(path)
      .getJsonObject(op.substring(0, op.indexOf(' ')).toLowerCase());
    for (Object p : operation.getJsonArray("parameters", new JsonArray())) {
      JsonObject param = (JsonObject) p;
      if ("path".equals(param.getString("in"))) {
        path = path.replace("{" + param.getString("name") + "}", String.valueOf(param.getValue("example", "x")));
      }
    }
    return path;
  }

  /**
   * The status of a bare request, or -1 when a catch-all answered it (the router's last 404, or a
   * profile's "no such resource" / 405). A fresh client per request: streaming answers stay open.
   */
  private int probe(HttpMethod method, String uri) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setDefaultPort(node.port()).setDefaultHost("127.0.0.1"));
    try {
      return client.request(method, uri).compose(req -> req.send()).compose(resp -> {
        if (resp.statusCode() != 404 && resp.statusCode() != 405) return Future.succeededFuture(resp.statusCode());
        return resp.body().map(b -> {
          String body = b.toString();
          boolean catchAll = resp.statusCode() == 405 || body.contains("no such resource") || body.contains("Route not found.")
            || body.contains("The resource you are looking for could not be found.");
          return catchAll ? -1 : resp.statusCode();
        });
      }).await();
    } finally {
      client.close().await();
    }
  }

  /** "METHOD /path" of every operation in the document. */
  private Set<String> operations() {
    Set<String> out = new TreeSet<>();
    JsonObject paths = document.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) out.add(method.toUpperCase() + " " + path);
    }
    return out;
  }

  // ---- real responses match the schemas --------------------------------------------------------

  @Test
  void realResponsesOfTheClientApiMatchTheirSchemas() {
    String u1 = backend.userToken("u1");
    valid("getUserToken", send(HttpMethod.POST, "/api/v1/user-token", null, null, new JsonObject().put("accessToken", "access-u1")), 200);
    valid("getUserToken", send(HttpMethod.POST, "/api/v1/user-token", null, null, new JsonObject().put("accessToken", "forged")), 401);
    valid("getContacts", send(HttpMethod.GET, "/api/v1/contacts?pageSize=2", u1, null, null), 200);
    valid("getContacts", send(HttpMethod.GET, "/api/v1/contacts?pageSize=500", u1, null, null), 400);
    valid("getContacts", send(HttpMethod.GET, "/api/v1/contacts", null, null, null), 401);
    JsonObject created = valid("createThread", send(HttpMethod.POST, "/api/v1/threads", u1, null, new JsonObject()
      .put("memberIds", new JsonArray().add("u2"))
      .put("message", text("hello"))), 200);
    String threadId = created.getJsonObject("thread").getString("threadId");
    String threadToken = created.getJsonObject("thread").getString("threadToken");
    valid("getThreads", send(HttpMethod.GET, "/api/v1/threads", u1, null, null), 200);
    valid("sendMessage", send(HttpMethod.POST, "/api/v1/threads/" + threadId + "/messages", u1, threadToken,
      new JsonObject().put("message", text("again")).put("clientMessageId", "c1")), 200);
    valid("sendMessage", send(HttpMethod.POST, "/api/v1/threads/" + threadId + "/messages", u1, threadToken,
      new JsonObject().put("message", "not an object")), 400);
    JsonObject thread = valid("getThread", send(HttpMethod.GET, "/api/v1/threads/" + threadId, u1, threadToken, null), 200);
    valid("getThread", send(HttpMethod.GET, "/api/v1/threads/" + threadId + "?sinceOffset=0&epoch=" + thread.getString("epoch"),
      u1, threadToken, null), 200);
    valid("getThread", send(HttpMethod.GET, "/api/v1/threads/" + threadId, backend.userToken("u3"), threadToken, null), 403);
    valid("getThread", send(HttpMethod.GET, "/api/v1/threads/" + threadId, u1, "not-a-token", null), 401);
    backend.on("getThread", req -> Future.succeededFuture(io.ecb.support.StubBackend.Reply.error(404, "no such thread")));
    String other = backend.addThread("t-gone", "u1").getString("threadToken");
    valid("getThread", send(HttpMethod.GET, "/api/v1/threads/t-gone", u1, other, null), 404);
  }

  @Test
  void realResponsesOfThePushAndOperationsRoutesMatchTheirSchemas() {
    valid("publish", send(HttpMethod.POST, "/api/v1/publish", KEY, null, new JsonObject()
      .put("channel", "news").put("event", "e").put("data", new JsonObject().put("n", 1))), 202);
    valid("publish", send(HttpMethod.POST, "/api/v1/publish", KEY, null, new JsonObject().put("event", "e")), 400);
    valid("publish", send(HttpMethod.POST, "/api/v1/publish", "wrong", null, new JsonObject()), 401);
    valid("channelStats", send(HttpMethod.GET, "/api/v1/channels/news", KEY, null, null), 200);
    valid("senderCount", send(HttpMethod.GET, "/ext/channel/count", KEY, null, null), 200);
    valid("senderCreateChannel", send(HttpMethod.POST, "/ext/channel/create", KEY, null,
      new JsonObject().put("application_ref", "app").put("user_ref", "u1")), 200);
    valid("senderCreateChannel", send(HttpMethod.POST, "/ext/channel/create", KEY, null, new JsonObject()), 400);
    valid("notifyAuthorize", send(HttpMethod.GET, "/authorize", backend.userToken("u1"), null, null), 200);
    valid("notify", send(HttpMethod.POST, "/notify", null, null, new JsonObject().put("API_KEY", KEY).put("msg", "hi").put("channel", "c")), 200);
    valid("webPushChannel", send(HttpMethod.GET, "/v0/channels/news", KEY, null, null), 200);
    valid("webPushRegister", send(HttpMethod.PUT, "/v0/channels/news/registration", null, null, null), 401);
    valid("health", send(HttpMethod.GET, "/health", null, null, null), 200);
    valid("ready", send(HttpMethod.GET, "/ready", null, null, null), 200);
    valid("demoUsers", send(HttpMethod.GET, "/demo/users", null, null, null), 200);
    valid("demoLogin", send(HttpMethod.POST, "/demo/login", null, null, new JsonObject().put("userId", "nobody")), 404);
  }

  private static JsonObject text(String s) {
    return new JsonObject().put("type", "text").put("data", new JsonObject().put("messageText", s));
  }

  private HttpResponse<Buffer> send(HttpMethod method, String uri, String bearer, String threadToken, JsonObject body) {
    var req = http.request(method, node.port(), "127.0.0.1", uri);
    if (bearer != null) req.putHeader("Authorization", "Bearer " + bearer);
    if (threadToken != null) req.putHeader("X-Thread-Token", threadToken);
    return (body == null ? req.send() : req.sendJsonObject(body)).await();
  }

  /** Checks the response's status and validates it against the operation's schema; its JSON body. */
  private JsonObject valid(String operationId, HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as("%s: %s", operationId, r.bodyAsString()).isEqualTo(status);
    // The media type without parameters (charset): the document keys content by media type.
    String type = r.getHeader("Content-Type") == null ? null : r.getHeader("Content-Type").split(";")[0].trim();
    try {
      validator.validate(ValidatableResponse.create(r.statusCode(), Map.of(), r.body(), type), operationId).await();
    } catch (RuntimeException e) {
      throw new AssertionError(operationId + " " + status + " (" + type + "): " + e.getMessage() + "\n" + r.bodyAsString(), e);
    }
    return r.body() != null && r.bodyAsString().startsWith("{") ? r.bodyAsJsonObject() : null;
  }

  private OutputUnit metaSchemaCheck(JsonObject doc) {
    OpenAPIVersion version = OpenAPIVersion.V3_1;
    return version.getRepository(vertx, "app://").compose(repo -> version.validateContract(vertx, repo, doc)).await();
  }

  /**
   * The document without the media types vertx-openapi's validators do not handle (event streams,
   * HTML, scripts, forms); what remains, every JSON body, is validated as written.
   */
  static JsonObject validatableCopy(JsonObject doc) {
    JsonObject copy = doc.copy();
    for (String path : copy.getJsonObject("paths").fieldNames()) {
      JsonObject item = copy.getJsonObject("paths").getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject op = item.getJsonObject(method);
        JsonObject body = op.getJsonObject("requestBody");
        if (body != null && onlySupported(body.getJsonObject("content")).isEmpty()) op.remove("requestBody");
        for (String code : op.getJsonObject("responses").fieldNames()) {
          JsonObject resp = op.getJsonObject("responses").getJsonObject(code);
          if (resp.containsKey("content") && onlySupported(resp.getJsonObject("content")).isEmpty()) resp.remove("content");
        }
      }
    }
    return copy;
  }

  private static JsonObject onlySupported(JsonObject content) {
    content.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
    return content;
  }
}
