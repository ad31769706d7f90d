package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.slipway.builder.BuilderModule;
import dev.slipway.deployer.DeployerConfig;
import dev.slipway.deployer.DeployerModule;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.SampleEvents;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.secrets.SealedEnv;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.GitServer;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisPrefix;
import dev.slipway.infra.testing.RedisServer;
import dev.slipway.reconciler.ReconcilerModule;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * Env values are secrets: through the whole platform in one JVM (gateway, builder, deployer,
 * reconciler) on the real broker, Redis, Docker engine and git server, a canary env value reaches
 * the container's environment and nothing else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Deploy env values are secrets, end to end")
class EnvSecretsIT {

  private static final String TOKEN = "env-token-" + UUID.randomUUID();
  private static final Duration DEPLOY_DEADLINE = Duration.ofSeconds(90);

  // Distinct per revision, so a container showing one proves which spec it was created from.
  private final String canary1 = "canary1-" + UUID.randomUUID();
  private final String canary2 = "canary2-" + UUID.randomUUID();
  private final String canary3 = "canary3-" + UUID.randomUUID();
  private final String canaryRefused = "canary-refused-" + UUID.randomUUID();
  private final String canaryForeign = "canary-foreign-" + UUID.randomUUID();

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String app = "env-" + suffix;
  private final String builtApp = "envb-" + suffix;
  private final String foreignApp = "envf-" + suffix;
  private final String builtImage = "slipway-test/env-built-" + suffix;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private String v1;
  private String v2;
  private Path dataDir;
  private SlipwayConfig config;
  private TopicSet topics;
  private RedisKeys keys;
  private GitServer git;
  private ServiceRunner runner;
  private Vertx vertx;
  private Redis redis;

  @BeforeAll
  void start() throws Exception {
    DockerEngine.require();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    v1 = BusyboxImages.randomTag();
    v2 = BusyboxImages.randomTag();
    BusyboxImages.httpImage(v1, Map.of("up", "ok", "version", "v1"));
    BusyboxImages.httpImage(v2, Map.of("up", "ok", "version", "v2"));
    git = GitServer.start();
    dataDir = Files.createTempDirectory("slipway-env-secrets");
    Map<String, String> env =
        GatewayFixture.platformEnv(dataDir, "env-secrets-" + suffix + ".", TOKEN + ":write");
    env.put("SLIPWAY_KAFKA_PARTITIONS", "1");
    env.put("SLIPWAY_GIT_SCHEMES", "http");
    config = SlipwayConfig.from(new Env(env));
    topics = TopicSet.withPrefix(config.topicPrefix());
    keys = new RedisKeys(config.keyPrefix());
    DeployerConfig deployer = GatewayFixture.shortDeployWaits(env);
    runner =
        ServiceRunner.start(
            config,
            List.of(
                new DeployerModule(deployer),
                new ReconcilerModule(),
                new BuilderModule(new Env(env), null),
                new GatewayModule()),
            true);
    vertx = Vertx.vertx();
    redis = RedisClients.create(vertx, RedisServer.url());
  }

  @AfterAll
  void stop() throws Exception {
    try {
      for (String a : List.of(app, builtApp, foreignApp)) {
        send("DELETE", "/api/v1/apps/" + a, null);
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> appContainers(app).isEmpty() && appContainers(builtApp).isEmpty());
    } finally {
      try {
        if (runner != null) {
          runner.close();
        }
      } finally {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        DockerClient docker = DockerEngine.client();
        for (String a : List.of(app, builtApp, foreignApp)) {
          for (Container c : appContainers(a)) {
            docker.removeContainerCmd(c.getId()).withForce(true).exec();
          }
        }
        docker
            .listImagesCmd()
            .withReferenceFilter(builtImage)
            .exec()
            .forEach(i -> docker.removeImageCmd(i.getId()).withForce(true).exec());
        BusyboxImages.remove(v1);
        BusyboxImages.remove(v2);
        if (git != null) {
          git.close();
        }
        if (redis != null) {
          RedisPrefix.delete(redis, keys.prefix());
          redis.close().await(10, TimeUnit.SECONDS);
        }
        if (vertx != null) {
          vertx.close().await(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> paths = Files.walk(dataDir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @Test
  @DisplayName(
      "deploy, redeploy, rollback and auto-deploy after a build run containers with the plain env"
          + " values, while no Kafka record, Redis key or value, log line, API answer or error"
          + " holds them; a value sealed with another key fails its deployment with a reason")
  void envValuesReachOnlyTheContainer() throws Exception {
    List<HttpResponse<String>> responses = new ArrayList<>();

    // Refusals name the field, never the value.
    HttpResponse<String> tooLong =
        send(
            "POST",
            "/api/v1/apps/" + app + "/deployments",
            deployBody(v1, Map.of("SECRET", canaryRefused.repeat(400))));
    responses.add(tooLong);
    assertThat(tooLong.statusCode()).as(tooLong.body()).isEqualTo(400);
    assertThat(new JsonObject(tooLong.body()).getString("field")).isEqualTo("env.SECRET");
    HttpResponse<String> badName =
        send(
            "POST",
            "/api/v1/apps/" + app + "/deployments",
            deployBody(v1, Map.of("BAD NAME", canaryRefused)));
    responses.add(badName);
    assertThat(badName.statusCode()).as(badName.body()).isEqualTo(422);
    HttpResponse<String> nul =
        send(
            "POST",
            "/api/v1/apps/" + app + "/deployments",
            deployBody(v1, Map.of("SECRET", canaryRefused + "\u0000")));
    responses.add(nul);
    assertThat(nul.statusCode()).as(nul.body()).isEqualTo(422);
    assertThat(new JsonObject(nul.body()).encode()).contains("env.SECRET");

    // Revision 1, then 2, each with its own canary.
    String d1 = deploy(v1, canary1, responses);
    awaitStatus(app, d1, "succeeded");
    assertThat(liveEnv(app)).contains("SECRET=" + canary1, "MODE=plain-mode");
    String d2 = deploy(v2, canary2, responses);
    awaitStatus(app, d2, "succeeded");
    assertThat(liveEnv(app)).contains("SECRET=" + canary2).doesNotContain("SECRET=" + canary1);

    // The views show names only.
    HttpResponse<String> view = send("GET", "/api/v1/apps/" + app, null);
    responses.add(view);
    assertThat(new JsonObject(view.body()).getJsonObject("spec").getJsonArray("env_keys"))
        .containsExactly("MODE", "SECRET");

    // Rollback recreates revision 1 from its recorded, sealed spec.
    HttpResponse<String> rolledBack =
        send("POST", "/api/v1/apps/" + app + "/rollback", new JsonObject().put("revision", 1));
    responses.add(rolledBack);
    assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(202);
    awaitStatus(app, new JsonObject(rolledBack.body()).getString("id"), "succeeded");
    assertThat(liveEnv(app)).contains("SECRET=" + canary1).doesNotContain("SECRET=" + canary2);

    // A build whose request carries a deploy: the auto-deploy runs with the build's env.
    GitServer.Repo repo = git.createRepo("env-" + suffix);
    repo.write("Dockerfile", "FROM " + v1 + "\nLABEL built=yes\n").commit("app");
    HttpResponse<String> build =
        send(
            "POST",
            "/api/v1/builds",
            new JsonObject()
                .put("repository", repo.url())
                .put("ref", "main")
                .put("image", builtImage)
                .put("tags", new JsonArray().add("v3"))
                .put("push", false)
                .put(
                    "deploy",
                    new JsonObject()
                        .put("app", builtApp)
                        .put("image", builtImage + ":v3")
                        .put("strategy", "blue-green")
                        .put("port", BusyboxImages.HTTP_PORT)
                        .put("env", new JsonObject().put("SECRET", canary3))
                        .put("health", health())));
    responses.add(build);
    assertThat(build.statusCode()).as(build.body()).isEqualTo(202);
    String buildId = new JsonObject(build.body()).getString("id");
    awaitStatus(builtApp, "build-" + buildId, "succeeded");
    assertThat(liveEnv(builtApp)).contains("SECRET=" + canary3);
    HttpResponse<String> buildView = send("GET", "/api/v1/builds/" + buildId, null);
    responses.add(buildView);
    assertThat(buildView.statusCode()).isEqualTo(200);

    // A deploy sealed under another SLIPWAY_SECRET_KEY (another installation's gateway) fails.
    byte[] otherKey = new byte[32];
    Arrays.fill(otherKey, (byte) 9);
    SecretBox other = new SecretBox(otherKey);
    SecretBox ours = SecretBox.load(new Env(Map.of()), dataDir);
    assertThat(other.keyId()).isNotEqualTo(ours.keyId());
    String foreignId = "d-foreign-" + suffix;
    EventPublisher publisher =
        new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/test/env", "env-it");
    try {
      publisher
          .publish(
              topics.deployCommands(),
              foreignApp,
              new DeployRequested(
                  foreignId,
                  foreignApp,
                  SampleEvents.minimalSpec(
                      foreignApp,
                      v1,
                      DeploySpec.Strategy.BLUE_GREEN,
                      BusyboxImages.HTTP_PORT,
                      Map.of("MODE", SealedEnv.seal(other, canaryForeign))),
                  null,
                  Instant.now()))
          .await(10, TimeUnit.SECONDS);
    } finally {
      publisher.close();
    }
    JsonObject failed = awaitStatus(foreignApp, foreignId, "failed");
    assertThat(failed.getString("reason")).isEqualTo("env_unreadable");
    assertThat(failed.getString("message"))
        .startsWith(
            "env MODE cannot be decrypted: SLIPWAY_SECRET_KEY differs from the one that sealed it")
        .contains(other.keyId(), ours.keyId());
    assertThat(appContainers(foreignApp)).as("nothing was created").isEmpty();

    // Nowhere but the containers: API answers, Kafka, Redis, logs.
    String[] canaries = {canary1, canary2, canary3, canaryRefused, canaryForeign};
    for (HttpResponse<String> r : responses) {
      for (String canary : canaries) {
        assertThat(r.body()).as(r.uri().toString()).doesNotContain(canary);
      }
    }
    int sealedSeen = 0;
    for (var topic : topics.all()) {
      for (ConsumerRecord<String, byte[]> record : GatewayFixture.records(topic.name())) {
        String text = recordText(record);
        for (String canary : canaries) {
          assertThat(text).as(topic.name() + " offset " + record.offset()).doesNotContain(canary);
        }
        if (text.contains(SealedEnv.PREFIX + ours.keyId() + ":")) {
          sealedSeen++;
        }
      }
    }
    assertThat(sealedSeen)
        .as("records carrying sealed env: deploy commands, build command and events, successes")
        .isGreaterThanOrEqualTo(6);
    List<String> redisKeys = RedisPrefix.keys(redis, keys.prefix());
    assertThat(redisKeys).isNotEmpty();
    boolean sealedInRedis = false;
    for (String key : redisKeys) {
      String dump = redisDump(key);
      for (String canary : canaries) {
        assertThat(key).doesNotContain(canary);
        assertThat(dump).as(key).doesNotContain(canary);
      }
      sealedInRedis |= dump.contains(SealedEnv.PREFIX);
    }
    assertThat(sealedInRedis).as("the recorded specs keep the sealed values").isTrue();
    List<ILoggingEvent> logged;
    synchronized (logs) {
      logged = List.copyOf(logs.list);
    }
    assertThat(logged).isNotEmpty();
    for (ILoggingEvent event : logged) {
      StringBuilder text = new StringBuilder(event.getFormattedMessage());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        text.append(' ').append(t.getMessage());
      }
      for (String canary : canaries) {
        assertThat(text.toString()).as(event.getLoggerName()).doesNotContain(canary);
      }
    }
  }

  private static JsonObject health() {
    return new JsonObject().put("path", "/up").put("interval", "100ms").put("timeout", "1s");
  }

  private JsonObject deployBody(String image, Map<String, String> env) {
    JsonObject e = new JsonObject();
    env.forEach(e::put);
    return new JsonObject()
        .put("image", image)
        .put("port", BusyboxImages.HTTP_PORT)
        .put("env", e)
        .put("health", health());
  }

  private String deploy(String image, String canary, List<HttpResponse<String>> responses)
      throws Exception {
    HttpResponse<String> accepted =
        send(
            "POST",
            "/api/v1/apps/" + app + "/deployments",
            deployBody(image, Map.of("SECRET", canary, "MODE", "plain-mode")));
    responses.add(accepted);
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    return new JsonObject(accepted.body()).getString("id");
  }

  /** Waits until the deployment has {@code wanted} status; fails at once on another end. */
  private JsonObject awaitStatus(String appName, String id, String wanted) {
    String path = "/api/v1/apps/" + appName + "/deployments/" + id;
    JsonObject[] last = new JsonObject[1];
    await()
        .atMost(DEPLOY_DEADLINE)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              HttpResponse<String> r = send("GET", path, null);
              if (r.statusCode() != 200) {
                return false;
              }
              JsonObject view = new JsonObject(r.body());
              last[0] = view;
              String status = view.getString("status");
              if (!wanted.equals(status)) {
                assertThat(status).as(r.body()).isNotIn("succeeded", "failed", "cancelled");
              }
              return wanted.equals(status);
            });
    return last[0];
  }

  /** {@code Config.Env} of the app's live container, as {@code docker inspect} shows it. */
  private List<String> liveEnv(String appName) throws Exception {
    JsonObject view = new JsonObject(send("GET", "/api/v1/apps/" + appName, null).body());
    String container = view.getString("live_container");
    assertThat(container).as(view.encode()).isNotNull();
    String[] env = DockerEngine.client().inspectContainerCmd(container).exec().getConfig().getEnv();
    return env == null ? List.of() : List.of(env);
  }

  private static List<Container> appContainers(String appName) {
    return DockerEngine.client()
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of(Labels.APP, appName))
        .exec();
  }

  private static String recordText(ConsumerRecord<String, byte[]> record) {
    StringBuilder out = new StringBuilder();
    out.append(record.key() == null ? "" : record.key()).append('\n');
    out.append(record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8));
    for (Header h : record.headers()) {
      out.append('\n').append(h.key()).append('=');
      out.append(new String(h.value(), StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  private String redisDump(String key) throws Exception {
    String type = redis(Request.cmd(Command.TYPE).arg(key)).toString();
    Response value =
        switch (type) {
          case "string" -> redis(Request.cmd(Command.GET).arg(key));
          case "hash" -> redis(Request.cmd(Command.HGETALL).arg(key));
          case "stream" -> redis(Request.cmd(Command.XRANGE).arg(key).arg("-").arg("+"));
          case "zset" -> redis(Request.cmd(Command.ZRANGE).arg(key).arg(0).arg(-1));
          case "set" -> redis(Request.cmd(Command.SMEMBERS).arg(key));
          case "list" -> redis(Request.cmd(Command.LRANGE).arg(key).arg(0).arg(-1));
          default -> null;
        };
    assertThat(value).as("a dump of %s (%s)", key, type).isNotNull();
    return value.toString();
  }

  private Response redis(Request request) throws Exception {
    return redis.send(request).await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<String> send(String method, String path, JsonObject body) throws Exception {
    return ApiRequests.send(
        http, URI.create("http://127.0.0.1:" + config.httpPort() + path), TOKEN, method, body);
  }
}
