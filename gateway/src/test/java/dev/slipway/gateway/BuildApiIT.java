package dev.slipway.gateway;

import static dev.slipway.gateway.GatewayFixture.READ_TOKEN;
import static dev.slipway.gateway.GatewayFixture.WRITE_TOKEN;
import static dev.slipway.gateway.GatewayFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.BuildCommand;
import dev.slipway.infra.events.BuildCommand.BuildCancelRequested;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.EventTypes;
import dev.slipway.infra.redis.BuildHash;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The gateway's build API on the real Kafka broker and Redis")
class BuildApiIT {

  private GatewayFixture gw;

  @BeforeAll
  void start() throws Exception {
    gw = new GatewayFixture(GatewayOptions.defaults());
  }

  @AfterAll
  void stop() throws Exception {
    gw.close();
  }

  private static JsonObject validBody() {
    return new JsonObject()
        .put("repository", "https://git.example.com/team/app.git")
        .put("ref", "main")
        .put("image", "registry.local:5000/team/app")
        .put("tags", new JsonArray().add("1.0.0").add("latest"))
        .put("build_args", new JsonObject().put("VERSION", "1.0.0"))
        .put("push", true)
        .put("registry_credential", "local-registry")
        .put("labels", new JsonObject().put("org.opencontainers.image.source", "x"))
        .put("timeout_seconds", 600)
        .put(
            "deploy",
            new JsonObject()
                .put("app", "shop-api")
                .put("image", "registry.local:5000/team/app:1.0.0")
                .put("strategy", "blue-green")
                .put("port", 8080));
  }

  private List<CloudEvent<BuildCommand>> commands() {
    List<CloudEvent<BuildCommand>> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r :
        GatewayFixture.records(gw.topics.buildCommands().name())) {
      out.add(CloudEventCodec.decode(gw.topics.buildCommands(), r));
    }
    return out;
  }

  @Test
  @DisplayName(
      "POST /api/v1/builds answers 202 with links and publishes BuildRequested as a"
          + " CloudEvent keyed by the build id; a GET right after finds it queued")
  void acceptedAndPublished() throws Exception {
    HttpResponse<String> response =
        gw.postJson("/api/v1/builds", WRITE_TOKEN, validBody().encode());

    assertThat(response.statusCode()).isEqualTo(202);
    JsonObject body = json(response);
    String id = body.getString("id");
    assertThat(id).matches("b-[0-9a-z]{26}");
    assertThat(body.getString("status")).isEqualTo("queued");
    assertThat(body.getJsonObject("links").getString("self")).isEqualTo("/api/v1/builds/" + id);
    assertThat(body.getJsonObject("links").getString("logs"))
        .isEqualTo("/api/v1/builds/" + id + "/logs");
    assertThat(response.headers().firstValue("Location")).hasValue("/api/v1/builds/" + id);

    HttpResponse<String> read = gw.get("/api/v1/builds/" + id, READ_TOKEN);
    assertThat(read.statusCode()).isEqualTo(200);
    JsonObject build = json(read);
    assertThat(build.getString("status")).isEqualTo("queued");
    assertThat(build.getString("repository")).isEqualTo("https://git.example.com/team/app.git");
    assertThat(build.getString("image")).isEqualTo("registry.local:5000/team/app");
    assertThat(build.getJsonArray("tags")).containsExactly("1.0.0", "latest");
    assertThat(build.getString("context")).isEqualTo(".");
    assertThat(build.getString("dockerfile")).isEqualTo("Dockerfile");
    assertThat(build.getJsonObject("timings").getString("requested_at")).isNotBlank();

    ConsumerRecord<String, byte[]> record =
        GatewayFixture.records(gw.topics.buildCommands().name()).stream()
            .filter(r -> id.equals(r.key()))
            .findFirst()
            .orElseThrow();
    assertThat(header(record, "ce_specversion")).isEqualTo("1.0");
    assertThat(header(record, "ce_type")).isEqualTo(EventTypes.BUILD_REQUESTED);
    assertThat(header(record, "ce_source")).isEqualTo("/slipway/gateway");
    assertThat(header(record, "ce_subject")).isEqualTo(id);
    assertThat(header(record, "ce_id")).isNotBlank();
    assertThat(header(record, "ce_dataschema")).isNotBlank();
    assertThat(header(record, "content-type")).isEqualTo("application/json");
    BuildRequested requested =
        (BuildRequested) CloudEventCodec.decode(gw.topics.buildCommands(), record).data();
    assertThat(requested.buildId()).isEqualTo(id);
    assertThat(requested.repository()).isEqualTo("https://git.example.com/team/app.git");
    assertThat(requested.ref()).isEqualTo("main");
    assertThat(requested.context()).isEqualTo(".");
    assertThat(requested.dockerfile()).isEqualTo("Dockerfile");
    assertThat(requested.image()).isEqualTo("registry.local:5000/team/app");
    assertThat(requested.tags()).containsExactly("1.0.0", "latest");
    assertThat(requested.buildArgs()).isEqualTo(Map.of("VERSION", "1.0.0"));
    assertThat(requested.push()).isTrue();
    assertThat(requested.registryCredential()).isEqualTo("local-registry");
    assertThat(requested.timeoutSeconds()).isEqualTo(600);
    assertThat(requested.deploy().app()).isEqualTo("shop-api");
    assertThat(requested.deploy().strategy()).isEqualTo(DeploySpec.Strategy.BLUE_GREEN);
    assertThat(requested.deploy().port()).isEqualTo(8080);
    assertThat(requested.idempotencyKey()).isNull();
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName(
      "an Idempotency-Key repeated with the same body answers the same build and"
          + " publishes once; with another body it is refused as 422 naming the header")
  void idempotency() throws Exception {
    String key = "retry-" + UUID.randomUUID();
    JsonObject body = validBody().put("ref", "release");
    HttpResponse<String> first =
        gw.postJson("/api/v1/builds", WRITE_TOKEN, body.encode(), "Idempotency-Key", key);
    // Same content, other field order and explicit defaults: the same request.
    JsonObject same = new JsonObject();
    new java.util.TreeMap<>(body.getMap()).descendingMap().forEach(same::put);
    same.put("context", ".").put("dockerfile", "Dockerfile");
    HttpResponse<String> second =
        gw.postJson("/api/v1/builds", WRITE_TOKEN, same.encode(), "Idempotency-Key", key);
    HttpResponse<String> other =
        gw.postJson(
            "/api/v1/builds",
            WRITE_TOKEN,
            body.copy().put("ref", "other").encode(),
            "Idempotency-Key",
            key);

    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(second.statusCode()).isEqualTo(202);
    assertThat(json(second).getString("id")).isEqualTo(json(first).getString("id"));
    assertThat(other.statusCode()).isEqualTo(422);
    assertThat(other.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(json(other).getString("field")).isEqualTo("Idempotency-Key");

    List<BuildRequested> published =
        commands().stream()
            .map(CloudEvent::data)
            .filter(BuildRequested.class::isInstance)
            .map(BuildRequested.class::cast)
            .filter(r -> key.equals(r.idempotencyKey()))
            .toList();
    assertThat(published).hasSize(1);
    assertThat(published.get(0).buildId()).isEqualTo(json(first).getString("id"));
  }

  private record Bad(String why, String body, int status, String field, String contentType) {
    Bad(String why, JsonObject body, int status, String field) {
      this(why, body.encode(), status, field, "application/json");
    }
  }

  @Test
  @DisplayName("bad input gets a 4xx problem naming the field, and nothing reaches Kafka or Redis")
  void badInputRefused() throws Exception {
    List<Bad> cases =
        List.of(
            new Bad(
                "ext:: helper", validBody().put("repository", "ext::sh -c id"), 422, "repository"),
            new Bad(
                "file URL", validBody().put("repository", "file:///srv/repo"), 422, "repository"),
            new Bad("local path", validBody().put("repository", "/srv/repo"), 422, "repository"),
            new Bad(
                "option injection",
                validBody().put("repository", "--upload-pack=touch /tmp/pwned"),
                422,
                "repository"),
            new Bad(
                "ssh proxy command",
                validBody().put("repository", "ssh://-oProxyCommand=id/x"),
                422,
                "repository"),
            new Bad(
                "credentials in URL",
                validBody().put("repository", "https://user:pw@git.example.com/r.git"),
                422,
                "repository"),
            new Bad(
                "http not enabled",
                validBody().put("repository", "http://git.example.com/r.git"),
                422,
                "repository"),
            new Bad("context escapes", validBody().put("context", "../.."), 422, "context"),
            new Bad("context absolute", validBody().put("context", "/etc"), 422, "context"),
            new Bad("context encoded", validBody().put("context", "%2e%2e/x"), 422, "context"),
            new Bad(
                "dockerfile backslash", validBody().put("dockerfile", "..\\D"), 422, "dockerfile"),
            new Bad("image uppercase", validBody().put("image", "Team/App"), 422, "image"),
            new Bad(
                "bad tag",
                validBody().put("tags", new JsonArray().add("ok").add("-bad")),
                422,
                "tags[1]"),
            new Bad(
                "build arg name",
                validBody().put("build_args", new JsonObject().put("A-B", "x")),
                422,
                "build_args"),
            new Bad(
                "timeout too long",
                validBody().put("timeout_seconds", 86_401),
                400,
                "timeout_seconds"),
            new Bad("timeout zero", validBody().put("timeout_seconds", 0), 400, "timeout_seconds"),
            new Bad("unknown field", validBody().put("branch", "main"), 400, "branch"),
            new Bad(
                "unknown deploy field",
                validBody().put("deploy", validBody().getJsonObject("deploy").copy().put("x", 1)),
                400,
                "deploy.x"),
            new Bad("missing image", withoutField(validBody(), "image"), 400, "image"),
            new Bad("wrong type", validBody().put("push", "yes"), 400, "push"),
            new Bad(
                "bad deploy app",
                validBody()
                    .put(
                        "deploy", validBody().getJsonObject("deploy").copy().put("app", "Bad_App")),
                422,
                "deploy.app"),
            new Bad(
                "reserved deploy label",
                validBody()
                    .put(
                        "deploy",
                        validBody()
                            .getJsonObject("deploy")
                            .copy()
                            .put("labels", new JsonObject().put("dev.slipway.app", "x"))),
                422,
                "deploy.labels"),
            new Bad("not JSON", "{\"repository\": ", 400, null, "application/json"),
            new Bad("JSON array", "[1,2]", 400, null, "application/json"),
            new Bad("wrong content type", validBody().encode(), 415, null, "text/plain"),
            new Bad(
                "over 64 KiB",
                validBody().put("labels", new JsonObject().put("big", "x".repeat(70_000))).encode(),
                413,
                null,
                "application/json"));

    long before = GatewayFixture.endOffsets(gw.topics.buildCommands().name());
    List<String> keysBefore = gw.redisKeys();
    SoftAssertions soft = new SoftAssertions();
    for (Bad bad : cases) {
      HttpResponse<String> response =
          gw.send(
              gw.request("/api/v1/builds", WRITE_TOKEN)
                  .header("Content-Type", bad.contentType())
                  .POST(HttpRequest.BodyPublishers.ofString(bad.body()))
                  .build());
      soft.assertThat(response.statusCode()).as(bad.why()).isEqualTo(bad.status());
      soft.assertThat(response.headers().firstValue("content-type"))
          .as(bad.why())
          .hasValue("application/problem+json");
      JsonObject problem = new JsonObject(response.body());
      soft.assertThat(problem.getString("field")).as(bad.why() + " field").isEqualTo(bad.field());
      soft.assertThat(problem.getString("detail")).as(bad.why() + " detail").isNotBlank();
      soft.assertThat(problem.getInteger("status")).as(bad.why()).isEqualTo(bad.status());
    }
    HttpResponse<String> badKey =
        gw.postJson(
            "/api/v1/builds", WRITE_TOKEN, validBody().encode(), "Idempotency-Key", "has space");
    soft.assertThat(badKey.statusCode()).as("bad Idempotency-Key").isEqualTo(400);
    soft.assertThat(json(badKey).getString("field")).isEqualTo("Idempotency-Key");
    soft.assertAll();

    assertThat(GatewayFixture.endOffsets(gw.topics.buildCommands().name()))
        .as("nothing published for a rejected command")
        .isEqualTo(before);
    assertThat(gw.redisKeys())
        .as("nothing written for a rejected command")
        .containsExactlyInAnyOrderElementsOf(keysBefore);
  }

  private static JsonObject withoutField(JsonObject body, String field) {
    body.remove(field);
    return body;
  }

  @Test
  @DisplayName(
      "tokens: none or unknown is 401 with a Bearer challenge, a read token on a"
          + " mutation is 403, reads work with it, and /health and /openapi.yaml need none")
  void auth() throws Exception {
    HttpResponse<String> none = gw.get("/api/v1/builds", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(none.headers().firstValue("content-type")).hasValue("application/problem+json");

    HttpResponse<String> unknown = gw.get("/api/v1/builds", "not-a-known-token-123456");
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.headers().firstValue("WWW-Authenticate")).isPresent();

    HttpResponse<String> readPost = gw.postJson("/api/v1/builds", READ_TOKEN, validBody().encode());
    assertThat(readPost.statusCode()).isEqualTo(403);
    assertThat(json(readPost).getInteger("status")).isEqualTo(403);
    assertThat(gw.putJson("/api/v1/registry-credentials/x", READ_TOKEN, "{}").statusCode())
        .isEqualTo(403);
    assertThat(gw.delete("/api/v1/registry-credentials/x", READ_TOKEN).statusCode()).isEqualTo(403);
    assertThat(gw.postJson("/api/v1/builds/b-x/cancel", READ_TOKEN, "{}").statusCode())
        .isEqualTo(403);

    assertThat(gw.get("/api/v1/builds", READ_TOKEN).statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/v1/registry-credentials", READ_TOKEN).statusCode()).isEqualTo(200);
    // The query token is for SSE only.
    assertThat(gw.get("/api/v1/builds?access_token=" + READ_TOKEN, null).statusCode())
        .isEqualTo(401);

    assertThat(gw.get("/health", null).statusCode()).isEqualTo(200);
    HttpResponse<String> openapi = gw.get("/openapi.yaml", null);
    assertThat(openapi.statusCode()).isEqualTo(200);
    assertThat(openapi.body()).startsWith("openapi: 3.1.0").contains("/api/v1/builds:");
  }

  @Test
  @DisplayName(
      "cancel publishes BuildCancelRequested for a live build, 404s an unknown one and"
          + " 409s a finished one")
  void cancel() throws Exception {
    String id =
        json(gw.postJson("/api/v1/builds", WRITE_TOKEN, validBody().encode())).getString("id");

    HttpResponse<String> cancelled =
        gw.postJson("/api/v1/builds/" + id + "/cancel", WRITE_TOKEN, "{\"reason\":\"oops\"}");
    assertThat(cancelled.statusCode()).isEqualTo(202);
    assertThat(json(cancelled).getString("id")).isEqualTo(id);
    BuildCancelRequested cancel =
        commands().stream()
            .map(CloudEvent::data)
            .filter(BuildCancelRequested.class::isInstance)
            .map(BuildCancelRequested.class::cast)
            .filter(c -> c.buildId().equals(id))
            .findFirst()
            .orElseThrow();
    assertThat(cancel.reason()).isEqualTo("oops");

    // Without a body too.
    HttpResponse<String> noBody =
        gw.send(
            gw.request("/api/v1/builds/" + id + "/cancel", WRITE_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(noBody.statusCode()).isEqualTo(202);

    HttpResponse<String> unknown =
        gw.postJson("/api/v1/builds/b-unknown/cancel", WRITE_TOKEN, "{}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(gw.get("/api/v1/builds/b-unknown", READ_TOKEN).statusCode()).isEqualTo(404);

    String done = "b-done-" + UUID.randomUUID().toString().substring(0, 8);
    gw.redis(
        Request.cmd(Command.HSET)
            .arg(gw.keys.build(done))
            .arg(BuildHash.ID)
            .arg(done)
            .arg(BuildHash.STATUS)
            .arg("succeeded"));
    long before = GatewayFixture.endOffsets(gw.topics.buildCommands().name());
    HttpResponse<String> finished =
        gw.postJson("/api/v1/builds/" + done + "/cancel", WRITE_TOKEN, "{}");
    assertThat(finished.statusCode()).isEqualTo(409);
    assertThat(json(finished).getString("detail")).contains("succeeded");
    assertThat(GatewayFixture.endOffsets(gw.topics.buildCommands().name())).isEqualTo(before);
  }

  @Test
  @DisplayName("the projection wins over the request: status, phase, result and timings show")
  void projectionRead() throws Exception {
    String id =
        json(gw.postJson("/api/v1/builds", WRITE_TOKEN, validBody().encode())).getString("id");
    gw.redis(
        Request.cmd(Command.HSET)
            .arg(gw.keys.build(id))
            .arg(BuildHash.ID)
            .arg(id)
            .arg(BuildHash.STATUS)
            .arg("failed")
            .arg(BuildHash.PHASE)
            .arg("build")
            .arg(BuildHash.COMMIT_SHA)
            .arg("a".repeat(40))
            .arg(BuildHash.REASON)
            .arg("build_failed")
            .arg(BuildHash.MESSAGE)
            .arg("step 2 returned 1")
            .arg(BuildHash.STARTED_AT)
            .arg("2026-01-01T00:00:00Z")
            .arg(BuildHash.FINISHED_AT)
            .arg("2026-01-01T00:00:42Z"));

    JsonObject build = json(gw.get("/api/v1/builds/" + id, READ_TOKEN));
    assertThat(build.getString("status")).isEqualTo("failed");
    assertThat(build.getString("phase")).isEqualTo("build");
    assertThat(build.getString("commit_sha")).isEqualTo("a".repeat(40));
    assertThat(build.getString("reason")).isEqualTo("build_failed");
    assertThat(build.getString("message")).isEqualTo("step 2 returned 1");
    assertThat(build.getString("repository")).isEqualTo("https://git.example.com/team/app.git");
    assertThat(build.getJsonObject("timings").getLong("duration_ms")).isEqualTo(42_000L);
  }

  @Test
  @DisplayName(
      "the list is newest first, pages with a cursor without gaps or repeats, and"
          + " filters by status and repository")
  void listPagesAndFilters() throws Exception {
    String marker = UUID.randomUUID().toString().substring(0, 8);
    String repoA = "https://git.example.com/" + marker + "/a.git";
    String repoB = "https://git.example.com/" + marker + "/b.git";
    List<String> newestFirst = new ArrayList<>();
    long base = 1_900_000_000_000L;
    for (int i = 0; i < 7; i++) {
      String id = "b-list-" + marker + "-" + i;
      String status = i % 3 == 0 ? "failed" : "succeeded";
      gw.redis(
          Request.cmd(Command.HSET)
              .arg(gw.keys.build(id))
              .arg(BuildHash.ID)
              .arg(id)
              .arg(BuildHash.STATUS)
              .arg(status)
              .arg(BuildHash.REPOSITORY)
              .arg(i < 4 ? repoA : repoB)
              .arg(BuildHash.IMAGE)
              .arg("team/app"));
      // Two builds share a score: the cursor must still step past each exactly once.
      long score = base + (i == 5 ? 4 : i);
      gw.redis(Request.cmd(Command.ZADD).arg(gw.keys.builds()).arg(score).arg(id));
      newestFirst.add(0, id);
    }
    List<String> expected = new ArrayList<>(newestFirst);
    // Same score 4: members in reverse lexicographic order come first.
    expected.sort(
        (x, y) -> {
          long sx = base + (x.endsWith("-5") ? 4 : Long.parseLong(x.substring(x.length() - 1)));
          long sy = base + (y.endsWith("-5") ? 4 : Long.parseLong(y.substring(y.length() - 1)));
          return sx != sy ? Long.compare(sy, sx) : y.compareTo(x);
        });

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      String path = "/api/v1/builds?limit=3" + (cursor == null ? "" : "&cursor=" + cursor);
      JsonObject page = json(gw.get(path, READ_TOKEN));
      page.getJsonArray("items").forEach(o -> seen.add(((JsonObject) o).getString("id")));
      cursor = page.getString("next_cursor");
      pages++;
    } while (cursor != null && pages < 10);
    List<String> ours = seen.stream().filter(s -> s.contains(marker)).toList();
    assertThat(ours).containsExactlyElementsOf(expected);
    assertThat(pages).isGreaterThanOrEqualTo(3);

    JsonObject failed = json(gw.get("/api/v1/builds?status=failed&limit=100", READ_TOKEN));
    List<String> failedIds = ids(failed);
    assertThat(failedIds.stream().filter(s -> s.contains(marker)).toList())
        .containsExactly(
            "b-list-" + marker + "-6", "b-list-" + marker + "-3", "b-list-" + marker + "-0");
    failed
        .getJsonArray("items")
        .forEach(o -> assertThat(((JsonObject) o).getString("status")).isEqualTo("failed"));

    JsonObject byRepo =
        json(
            gw.get(
                "/api/v1/builds?repository="
                    + java.net.URLEncoder.encode(repoB, StandardCharsets.UTF_8),
                READ_TOKEN));
    assertThat(Set.copyOf(ids(byRepo)))
        .containsExactlyInAnyOrder(
            "b-list-" + marker + "-4", "b-list-" + marker + "-5", "b-list-" + marker + "-6");

    HttpResponse<String> tooMany = gw.get("/api/v1/builds?limit=101", READ_TOKEN);
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(json(tooMany).getString("field")).isEqualTo("limit");
    HttpResponse<String> badStatus = gw.get("/api/v1/builds?status=exploded", READ_TOKEN);
    assertThat(badStatus.statusCode()).isEqualTo(400);
    assertThat(json(badStatus).getString("field")).isEqualTo("status");
    HttpResponse<String> badCursor = gw.get("/api/v1/builds?cursor=bm9wZQ", READ_TOKEN);
    assertThat(badCursor.statusCode()).isEqualTo(400);
    assertThat(json(badCursor).getString("field")).isEqualTo("cursor");
  }

  private static List<String> ids(JsonObject page) {
    List<String> out = new ArrayList<>();
    page.getJsonArray("items").forEach(o -> out.add(((JsonObject) o).getString("id")));
    return out;
  }
}
