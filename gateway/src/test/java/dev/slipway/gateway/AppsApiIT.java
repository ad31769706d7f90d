package dev.slipway.gateway;

import static dev.slipway.gateway.GatewayFixture.READ_TOKEN;
import static dev.slipway.gateway.GatewayFixture.WRITE_TOKEN;
import static dev.slipway.gateway.GatewayFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import dev.slipway.infra.events.DeployCommand.RollbackRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.secrets.SealedEnv;
import dev.slipway.infra.secrets.SecretBox;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The gateway's apps API on the real Kafka broker and Redis")
class AppsApiIT {

  private static final String SECRET = "s3cr3t-" + UUID.randomUUID();

  private GatewayFixture gw;

  @BeforeAll
  void start() throws Exception {
    gw = new GatewayFixture(GatewayOptions.defaults());
  }

  @AfterAll
  void stop() throws Exception {
    gw.close();
  }

  private static String app() {
    return "app-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject validBody() {
    return new JsonObject()
        .put("image", "registry.local:5000/team/shop:1.2.0")
        .put("port", 8080)
        .put("env", new JsonObject().put("DATABASE_PASSWORD", SECRET))
        .put(
            "health",
            new JsonObject()
                .put("path", "/up")
                .put("interval", "500ms")
                .put("timeout", "2s")
                .put("healthy_threshold", 2)
                .put("start_period", "1s")
                .put("deploy_timeout", "2m"))
        .put("resources", new JsonObject().put("cpus", 0.5).put("memory", "256m"))
        .put("volumes", new JsonArray().add("shop-cache:/cache:ro"))
        .put("labels", new JsonObject().put("team", "shop"))
        .put("self_heal", true);
  }

  private List<DeployCommand> commandsFor(String app) {
    return GatewayFixture.records(gw.topics.deployCommands().name()).stream()
        .filter(r -> app.equals(r.key()))
        .map(r -> CloudEventCodec.decode(gw.topics.deployCommands(), r).data())
        .toList();
  }

  @Test
  @DisplayName(
      "POST /api/v1/apps/{app}/deployments answers 202 with the deployment id and publishes"
          + " DeployRequested keyed by the app with the whole spec, blue-green by default")
  void deployPublished() throws Exception {
    String app = app();
    HttpResponse<String> response =
        gw.postJson("/api/v1/apps/" + app + "/deployments", WRITE_TOKEN, validBody().encode());

    assertThat(response.statusCode()).isEqualTo(202);
    JsonObject body = json(response);
    String id = body.getString("id");
    assertThat(id).matches("d-[0-9a-z]{26}");
    assertThat(body.getString("app")).isEqualTo(app);
    assertThat(body.getString("status")).isEqualTo("queued");
    assertThat(body.getJsonObject("links").getString("self")).isEqualTo("/api/v1/apps/" + app);
    assertThat(body.getJsonObject("links").getString("deployment"))
        .isEqualTo("/api/v1/apps/" + app + "/deployments/" + id);

    List<DeployCommand> commands = commandsFor(app);
    assertThat(commands).hasSize(1);
    DeployRequested requested = (DeployRequested) commands.get(0);
    assertThat(requested.deploymentId()).isEqualTo(id);
    assertThat(requested.buildId()).isNull();
    DeploySpec spec = requested.spec();
    assertThat(spec.app()).isEqualTo(app);
    assertThat(spec.image()).isEqualTo("registry.local:5000/team/shop:1.2.0");
    assertThat(spec.strategy()).isEqualTo(DeploySpec.Strategy.BLUE_GREEN);
    assertThat(spec.port()).isEqualTo(8080);
    assertThat(spec.env()).containsOnlyKeys("DATABASE_PASSWORD");
    assertThat(spec.env().get("DATABASE_PASSWORD"))
        .as("env values leave the gateway sealed")
        .startsWith(SealedEnv.PREFIX)
        .doesNotContain(SECRET);
    SecretBox box = SecretBox.load(new Env(Map.of()), gw.dataDir);
    assertThat(SealedEnv.open(box, spec.env())).isEqualTo(Map.of("DATABASE_PASSWORD", SECRET));
    assertThat(spec.health().interval()).isEqualTo("500ms");
    assertThat(spec.health().healthyThreshold()).isEqualTo(2);
    assertThat(spec.resources().cpus()).isEqualTo(0.5);
    assertThat(spec.resources().memory()).isEqualTo("256m");
    assertThat(spec.volumes()).containsExactly("shop-cache:/cache:ro");
    assertThat(spec.labels()).isEqualTo(Map.of("team", "shop"));
    assertThat(spec.selfHeal()).isTrue();
  }

  @Test
  @DisplayName(
      "an Idempotency-Key repeated with the same deploy answers the same deployment and"
          + " publishes once; with another body it is 422 naming the header")
  void idempotency() throws Exception {
    String app = app();
    String key = "deploy-" + UUID.randomUUID();
    String path = "/api/v1/apps/" + app + "/deployments";
    HttpResponse<String> first =
        gw.postJson(path, WRITE_TOKEN, validBody().encode(), "Idempotency-Key", key);
    HttpResponse<String> second =
        gw.postJson(path, WRITE_TOKEN, validBody().encode(), "Idempotency-Key", key);
    HttpResponse<String> other =
        gw.postJson(
            path, WRITE_TOKEN, validBody().put("port", 9090).encode(), "Idempotency-Key", key);

    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(second.statusCode()).isEqualTo(202);
    assertThat(json(second).getString("id")).isEqualTo(json(first).getString("id"));
    assertThat(other.statusCode()).isEqualTo(422);
    assertThat(json(other).getString("field")).isEqualTo("Idempotency-Key");
    assertThat(commandsFor(app)).hasSize(1);
  }

  @Test
  @DisplayName(
      "a build id as image deploys that build's image, by digest when pushed, else by its first"
          + " tag; a build that has not succeeded is 409 and an unknown one 422, both on image")
  void buildIdResolved() throws Exception {
    String pushed = BuildIds.next();
    String local = BuildIds.next();
    String running = BuildIds.next();
    String digest = "sha256:" + "ab".repeat(32);
    writeBuild(
        pushed,
        Map.of(
            BuildHash.STATUS, "succeeded",
            BuildHash.IMAGE, "registry.local:5000/team/shop",
            BuildHash.DIGEST, digest,
            BuildHash.TAGS, "[\"1.0\",\"latest\"]"));
    writeBuild(
        local,
        Map.of(
            BuildHash.STATUS, "succeeded",
            BuildHash.IMAGE, "team/shop",
            BuildHash.TAGS, "[\"2.0\",\"latest\"]"));
    writeBuild(running, Map.of(BuildHash.STATUS, "running", BuildHash.IMAGE, "team/shop"));

    String app = app();
    String path = "/api/v1/apps/" + app + "/deployments";
    HttpResponse<String> byDigest =
        gw.postJson(path, WRITE_TOKEN, validBody().put("image", pushed).encode());
    HttpResponse<String> byTag =
        gw.postJson(path, WRITE_TOKEN, validBody().put("image", local).encode());
    long before = GatewayFixture.endOffsets(gw.topics.deployCommands().name());
    HttpResponse<String> notYet =
        gw.postJson(path, WRITE_TOKEN, validBody().put("image", running).encode());
    HttpResponse<String> unknown =
        gw.postJson(path, WRITE_TOKEN, validBody().put("image", BuildIds.next()).encode());

    assertThat(byDigest.statusCode()).isEqualTo(202);
    assertThat(byTag.statusCode()).isEqualTo(202);
    assertThat(notYet.statusCode()).isEqualTo(409);
    assertThat(json(notYet).getString("field")).isEqualTo("image");
    assertThat(json(notYet).getString("detail")).contains("running");
    assertThat(unknown.statusCode()).isEqualTo(422);
    assertThat(json(unknown).getString("field")).isEqualTo("image");
    assertThat(GatewayFixture.endOffsets(gw.topics.deployCommands().name())).isEqualTo(before);

    List<DeployRequested> published =
        commandsFor(app).stream().map(DeployRequested.class::cast).toList();
    assertThat(published)
        .extracting(d -> d.spec().image())
        .containsExactly("registry.local:5000/team/shop@" + digest, "team/shop:2.0");
    assertThat(published).extracting(DeployRequested::buildId).containsExactly(pushed, local);
  }

  private void writeBuild(String id, Map<String, String> fields) throws Exception {
    Request hset = Request.cmd(Command.HSET).arg(gw.keys.build(id));
    fields.forEach((f, v) -> hset.arg(f).arg(v));
    gw.redis(hset);
  }

  private record Bad(String why, JsonObject body, int status, String field) {}

  @Test
  @DisplayName(
      "a deploy that cannot work gets a 4xx problem naming the field, and nothing is published")
  void badInputRefused() throws Exception {
    List<Bad> cases =
        List.of(
            new Bad(
                "read-write volume with blue-green",
                validBody().put("volumes", new JsonArray().add("data:/var/lib/data")),
                422,
                "volumes"),
            new Bad(
                "host path volume",
                validBody().put("volumes", new JsonArray().add("/etc:/host")),
                422,
                "volumes[0]"),
            new Bad("unknown field", validBody().put("replicas", 3), 400, "replicas"),
            new Bad(
                "bad duration",
                validBody().put("health", new JsonObject().put("interval", "5 seconds")),
                400,
                "health.interval"),
            new Bad("port out of range", validBody().put("port", 70000), 400, "port"),
            new Bad("port zero", validBody().put("port", 0), 400, "port"),
            new Bad(
                "cpus zero",
                validBody().put("resources", new JsonObject().put("cpus", 0)),
                400,
                "resources.cpus"),
            new Bad(
                "bad memory",
                validBody().put("resources", new JsonObject().put("memory", "lots")),
                400,
                "resources.memory"),
            new Bad(
                "reserved label",
                validBody().put("labels", new JsonObject().put("dev.slipway.app", "x")),
                422,
                "labels"),
            new Bad("bad strategy", validBody().put("strategy", "canary"), 400, "strategy"),
            new Bad("bad image", validBody().put("image", "Team/App:1"), 422, "image"),
            new Bad(
                "bad env name",
                validBody().put("env", new JsonObject().put("A-B", "x")),
                422,
                "env"),
            new Bad("missing image", new JsonObject().put("port", 80), 400, "image"));

    String app = app();
    long before = GatewayFixture.endOffsets(gw.topics.deployCommands().name());
    SoftAssertions soft = new SoftAssertions();
    for (Bad bad : cases) {
      HttpResponse<String> response =
          gw.postJson("/api/v1/apps/" + app + "/deployments", WRITE_TOKEN, bad.body().encode());
      soft.assertThat(response.statusCode()).as(bad.why()).isEqualTo(bad.status());
      soft.assertThat(response.headers().firstValue("content-type"))
          .as(bad.why())
          .hasValue("application/problem+json");
      JsonObject problem = new JsonObject(response.body());
      soft.assertThat(problem.getString("field")).as(bad.why() + " field").isEqualTo(bad.field());
      soft.assertThat(problem.getString("detail")).as(bad.why() + " detail").isNotBlank();
    }
    HttpResponse<String> rw =
        gw.postJson(
            "/api/v1/apps/" + app + "/deployments",
            WRITE_TOKEN,
            validBody().put("volumes", new JsonArray().add("data:/var/lib/data")).encode());
    soft.assertThat(json(rw).getString("detail"))
        .contains("use strategy recreate, or mount it read-only");
    HttpResponse<String> badName =
        gw.postJson("/api/v1/apps/Bad_Name/deployments", WRITE_TOKEN, validBody().encode());
    soft.assertThat(badName.statusCode()).as("bad app name").isEqualTo(400);
    soft.assertThat(json(badName).getString("field")).isEqualTo("app");
    HttpResponse<String> recreate =
        gw.postJson(
            "/api/v1/apps/" + app + "/deployments",
            WRITE_TOKEN,
            validBody()
                .put("strategy", "recreate")
                .put("volumes", new JsonArray().add("data:/var/lib/data"))
                .encode());
    soft.assertThat(recreate.statusCode()).as("recreate with a read-write volume").isEqualTo(202);
    soft.assertAll();

    assertThat(GatewayFixture.endOffsets(gw.topics.deployCommands().name()))
        .as("only the valid recreate was published")
        .isEqualTo(before + 1);
  }

  /** Writes an app as the deployer lays it out: live revision 2, kept revisions 1 and 2. */
  private void writeApp(String app, boolean withPrevious) throws Exception {
    String spec =
        new JsonObject()
            .put("app", app)
            .put("image", "team/shop:2")
            .put("strategy", "blue-green")
            .put("port", 8080)
            .put("env", new JsonObject().put("DATABASE_PASSWORD", SECRET).put("MODE", "prod"))
            .encode();
    gw.redis(
        Request.cmd(Command.HSET)
            .arg(gw.keys.app(app))
            .arg(AppHash.IMAGE)
            .arg("team/shop:2")
            .arg(AppHash.SPEC)
            .arg(spec)
            .arg(AppHash.LIVE_REVISION)
            .arg("2")
            .arg(AppHash.LIVE_COLOR)
            .arg("green")
            .arg(AppHash.LIVE_CONTAINER)
            .arg("c0ffee" + "0".repeat(58))
            .arg(AppHash.UPSTREAM)
            .arg("127.0.0.1:32768")
            .arg(AppHash.HEALTH)
            .arg(AppHash.HEALTHY)
            .arg(AppHash.DEPLOY_IN_FLIGHT)
            .arg(AppHash.FALSE));
    gw.redis(Request.cmd(Command.SADD).arg(gw.keys.apps()).arg(app));
    Request revisions = Request.cmd(Command.HSET).arg(gw.keys.appRevisions(app));
    revisions.arg("2").arg(revision(app, 2, "d-two", spec));
    if (withPrevious) {
      revisions.arg("1").arg(revision(app, 1, "d-one", spec.replace("team/shop:2", "team/shop:1")));
    }
    gw.redis(revisions);
    gw.redis(
        Request.cmd(Command.ZADD)
            .arg(gw.keys.appDeployments(app))
            .arg(1000)
            .arg("d-one")
            .arg(2000)
            .arg("d-two")
            .arg(3000)
            .arg("d-three"));
    deployment("d-one", app, "succeeded", "remove_old", null, "1");
    deployment("d-two", app, "succeeded", "remove_old", null, "2");
    deployment("d-three", app, "failed", "health_gate", "health_timeout", "3");
  }

  private static String revision(String app, long n, String deployment, String spec) {
    return new JsonObject()
        .put("revision", n)
        .put("deployment_id", deployment)
        .put("spec", new JsonObject(spec))
        .put("deployed_at", "2025-01-0" + n + "T00:00:00Z")
        .encode();
  }

  private void deployment(
      String id, String app, String status, String phase, String reason, String revision)
      throws Exception {
    Request hset =
        Request.cmd(Command.HSET)
            .arg(gw.keys.deployment(id))
            .arg(DeploymentHash.APP)
            .arg(app)
            .arg(DeploymentHash.KIND)
            .arg(DeploymentHash.KIND_DEPLOY)
            .arg(DeploymentHash.STATUS)
            .arg(status)
            .arg(DeploymentHash.PHASE)
            .arg(phase)
            .arg(DeploymentHash.REVISION)
            .arg(revision);
    if (reason != null) {
      hset.arg(DeploymentHash.REASON).arg(reason);
    }
    gw.redis(hset);
  }

  @Test
  @DisplayName(
      "GET /api/v1/apps and /api/v1/apps/{app} show the deployer's state: live revision, color,"
          + " container, upstream, health, the spec with env names but never env values,"
          + " revisions newest first and recent deployments; an unknown app is 404")
  void views() throws Exception {
    String app = app();
    writeApp(app, true);

    HttpResponse<String> list = gw.get("/api/v1/apps", READ_TOKEN);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).doesNotContain(SECRET);
    JsonObject summary =
        json(list).getJsonArray("items").stream()
            .map(JsonObject.class::cast)
            .filter(a -> app.equals(a.getString("name")))
            .findFirst()
            .orElseThrow();
    assertThat(summary.getLong("live_revision")).isEqualTo(2);
    assertThat(summary.getString("upstream")).isEqualTo("127.0.0.1:32768");

    HttpResponse<String> one = gw.get("/api/v1/apps/" + app, READ_TOKEN);
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.body()).doesNotContain(SECRET);
    JsonObject view = json(one);
    assertThat(view.getString("name")).isEqualTo(app);
    assertThat(view.getLong("live_revision")).isEqualTo(2);
    assertThat(view.getString("live_color")).isEqualTo("green");
    assertThat(view.getString("live_container")).startsWith("c0ffee");
    assertThat(view.getString("health")).isEqualTo("healthy");
    assertThat(view.getJsonObject("spec").getJsonArray("env_keys"))
        .containsExactly("DATABASE_PASSWORD", "MODE");
    assertThat(view.getJsonObject("spec").containsKey("env")).isFalse();
    assertThat(
            view.getJsonArray("revisions").stream().map(r -> ((JsonObject) r).getLong("revision")))
        .containsExactly(2L, 1L);
    assertThat(((JsonObject) view.getJsonArray("revisions").getValue(1)).getString("image"))
        .isEqualTo("team/shop:1");
    JsonArray deployments = view.getJsonArray("deployments");
    assertThat(deployments.stream().map(d -> ((JsonObject) d).getString("id")))
        .containsExactly("d-three", "d-two", "d-one");
    JsonObject failed = deployments.getJsonObject(0);
    assertThat(failed.getString("status")).isEqualTo("failed");
    assertThat(failed.getString("phase")).isEqualTo("health_gate");
    assertThat(failed.getString("reason")).isEqualTo("health_timeout");

    HttpResponse<String> dep = gw.get("/api/v1/apps/" + app + "/deployments/d-three", READ_TOKEN);
    assertThat(dep.statusCode()).isEqualTo(200);
    assertThat(json(dep).getString("reason")).isEqualTo("health_timeout");

    HttpResponse<String> missing = gw.get("/api/v1/apps/" + app(), READ_TOKEN);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("content-type")).hasValue("application/problem+json");
  }

  @Test
  @DisplayName(
      "rollback publishes RollbackRequested (to the given revision, or the deployer's choice),"
          + " is 409 without an earlier revision and 404 for an unknown app; DELETE publishes"
          + " RemoveRequested and is 404 for an unknown app")
  void rollbackAndRemove() throws Exception {
    String app = app();
    writeApp(app, true);
    String lonely = app();
    writeApp(lonely, false);

    HttpResponse<String> previous =
        gw.postJson("/api/v1/apps/" + app + "/rollback", WRITE_TOKEN, "");
    HttpResponse<String> toOne =
        gw.postJson("/api/v1/apps/" + app + "/rollback", WRITE_TOKEN, "{\"revision\":1}");
    HttpResponse<String> toLive =
        gw.postJson("/api/v1/apps/" + app + "/rollback", WRITE_TOKEN, "{\"revision\":2}");
    HttpResponse<String> nothing =
        gw.postJson("/api/v1/apps/" + lonely + "/rollback", WRITE_TOKEN, "");
    HttpResponse<String> unknown =
        gw.postJson("/api/v1/apps/" + app() + "/rollback", WRITE_TOKEN, "");
    HttpResponse<String> removed = gw.delete("/api/v1/apps/" + app, WRITE_TOKEN);
    HttpResponse<String> removeUnknown = gw.delete("/api/v1/apps/" + app(), WRITE_TOKEN);

    assertThat(previous.statusCode()).isEqualTo(202);
    assertThat(toOne.statusCode()).isEqualTo(202);
    assertThat(toLive.statusCode()).isEqualTo(409);
    assertThat(nothing.statusCode()).isEqualTo(409);
    assertThat(json(nothing).getString("detail")).contains("no revision before");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(removed.statusCode()).isEqualTo(202);
    assertThat(removeUnknown.statusCode()).isEqualTo(404);

    List<DeployCommand> commands = commandsFor(app);
    assertThat(commands).hasSize(3);
    RollbackRequested first = (RollbackRequested) commands.get(0);
    assertThat(first.deploymentId()).isEqualTo(json(previous).getString("id"));
    assertThat(first.toRevision()).isNull();
    assertThat(((RollbackRequested) commands.get(1)).toRevision()).isEqualTo(1L);
    RemoveRequested remove = (RemoveRequested) commands.get(2);
    assertThat(remove.deploymentId()).isEqualTo(json(removed).getString("id"));
    assertThat(commandsFor(lonely)).isEmpty();
  }

  @Test
  @DisplayName(
      "mutations need a write token (none is 401, read is 403, nothing published); reads work"
          + " with a read token")
  void auth() throws Exception {
    String app = app();
    HttpResponse<String> none =
        gw.postJson("/api/v1/apps/" + app + "/deployments", null, validBody().encode());
    HttpResponse<String> read =
        gw.postJson("/api/v1/apps/" + app + "/deployments", READ_TOKEN, validBody().encode());
    HttpResponse<String> delete = gw.delete("/api/v1/apps/" + app, READ_TOKEN);
    HttpResponse<String> rollback =
        gw.send(
            gw.request("/api/v1/apps/" + app + "/rollback", READ_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    HttpResponse<String> list = gw.get("/api/v1/apps", READ_TOKEN);
    HttpResponse<String> listAnon = gw.get("/api/v1/apps", null);

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(read.statusCode()).isEqualTo(403);
    assertThat(delete.statusCode()).isEqualTo(403);
    assertThat(rollback.statusCode()).isEqualTo(403);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(listAnon.statusCode()).isEqualTo(401);
    assertThat(commandsFor(app)).isEmpty();
  }
}
