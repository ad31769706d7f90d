package dev.slipway.deployer;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.SlipwayEvent;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.kafka.TopicAdmin;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import dev.slipway.infra.testing.TopicRecorder;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One isolated installation for a test: its own key prefix, topic prefix and data dir on the shared
 * broker, Redis and engine; a deployer started through the real launcher; a recorder of the deploy
 * events; helpers to read Redis and reach apps through their upstream. Closing it stops the
 * deployer and removes every container, key and temp file of the test.
 */
final class Harness implements AutoCloseable {

  static final Duration DEADLINE = Duration.ofSeconds(40);

  /** Short waits, so a test runs in seconds. */
  static final DeployerConfig CONFIG =
      new DeployerConfig(
          Duration.ofSeconds(5),
          Duration.ofMillis(200),
          Duration.ofSeconds(1),
          Duration.ofMillis(600),
          Duration.ofSeconds(10),
          Duration.ofSeconds(20),
          Duration.ofSeconds(30),
          "/up",
          Duration.ofMillis(200),
          Duration.ofSeconds(1),
          1,
          3,
          true,
          4);

  final Vertx vertx = Vertx.vertx();
  final DockerClient docker = DockerEngine.require();
  final String keyPrefix = RedisServer.randomKeyPrefix();
  final String topicPrefix = "test-" + UUID.randomUUID().toString().substring(0, 8) + ".";
  final RedisKeys keys = new RedisKeys(keyPrefix);
  final TopicSet topics = TopicSet.withPrefix(topicPrefix);
  final Redis redis = RedisClients.create(vertx, RedisServer.url());
  final EventPublisher publisher =
      new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/test/deployer", "deployer-it");
  final Path dataDir;
  final TopicRecorder<DeployEvent> deployEvents;
  final List<String> apps = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private ServiceRunner runner;
  private int lastHttpPort;

  Harness() throws Exception {
    dataDir = Files.createTempDirectory("slipway-deployer-it");
    TopicAdmin.ensure(KafkaBroker.bootstrapServers(), topics.all(), 1, (short) 1);
    deployEvents = new TopicRecorder<>(topics.deployEvents());
  }

  /** The environment a deployer of this installation runs with. */
  Map<String, String> env() throws IOException {
    Map<String, String> env = new HashMap<>();
    int[] ports = LoopbackPorts.free(2);
    lastHttpPort = ports[0];
    env.put("SLIPWAY_HTTP_PORT", String.valueOf(lastHttpPort));
    env.put("SLIPWAY_EDGE_PORT", String.valueOf(ports[1]));
    env.put("SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", KafkaBroker.bootstrapServers());
    env.put("SLIPWAY_KAFKA_PARTITIONS", "1");
    env.put("SLIPWAY_REDIS_URL", RedisServer.url());
    env.put("SLIPWAY_DATA_DIR", dataDir.toString());
    env.put("SLIPWAY_KEY_PREFIX", keyPrefix);
    env.put("SLIPWAY_TOPIC_PREFIX", topicPrefix);
    env.put("SLIPWAY_DOCKER_HOST", DockerEngine.host());
    return env;
  }

  /** Starts a deployer in this JVM through the launcher, as {@code Main} does. */
  void startDeployer() throws Exception {
    SlipwayConfig config = SlipwayConfig.from(new Env(env()));
    runner = ServiceRunner.start(config, List.of(new DeployerModule(CONFIG)), false);
  }

  void stopDeployer() {
    if (runner != null) {
      runner.close();
      runner = null;
    }
  }

  String newApp() {
    String app = "it-" + UUID.randomUUID().toString().substring(0, 8);
    apps.add(app);
    return app;
  }

  static String newId(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static DeploySpec spec(String app, String image, DeploySpec.Strategy strategy) {
    return spec(app, image, strategy, null);
  }

  static DeploySpec spec(
      String app, String image, DeploySpec.Strategy strategy, DeploySpec.HealthSpec health) {
    return new DeploySpec(
        app,
        image,
        strategy,
        8080,
        Map.of("GREETING", "hello"),
        health,
        new DeploySpec.Resources(0.5, "64m"),
        List.of(),
        List.of(),
        Map.of("team", "it"),
        true);
  }

  void send(DeployCommand command) throws Exception {
    publisher.publish(topics.deployCommands(), command.app(), command).await(10, TimeUnit.SECONDS);
  }

  <T extends SlipwayEvent> void publish(Topic<? super T> topic, String key, T event)
      throws Exception {
    publisher.publish(topic, key, event).await(10, TimeUnit.SECONDS);
  }

  /** Waits until the deployment's hash says it ended, and returns that hash. */
  Map<String, String> awaitEnded(String deploymentId) {
    return await("deployment " + deploymentId + " ends")
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> hash(keys.deployment(deploymentId)),
            h ->
                h.containsKey(DeploymentHash.STATUS)
                    && !DeploymentHash.STATUS_RUNNING.equals(h.get(DeploymentHash.STATUS)));
  }

  /** The deploy events of one deployment, in topic order. */
  List<DeployEvent> eventsOf(String deploymentId) {
    return deployEvents.events().stream()
        .filter(e -> e.deploymentId().equals(deploymentId))
        .toList();
  }

  /** Event names of one deployment: type names, phases by their wire value. */
  List<String> stepsOf(String deploymentId) {
    return eventsOf(deploymentId).stream()
        .map(
            e ->
                e instanceof DeployEvent.DeployPhaseChanged p
                    ? p.phase().wire()
                    : e.getClass().getSimpleName())
        .toList();
  }

  Map<String, String> hash(String key) throws Exception {
    Response r = redis.send(Request.cmd(Command.HGETALL).arg(key)).await(5, TimeUnit.SECONDS);
    Map<String, String> fields = new HashMap<>();
    if (r != null) {
      for (String f : r.getKeys()) {
        fields.put(f, r.get(f).toString());
      }
    }
    return fields;
  }

  String route(String app) throws Exception {
    Response r =
        redis
            .send(Request.cmd(Command.HGET).arg(keys.routes()).arg(app))
            .await(5, TimeUnit.SECONDS);
    return r == null ? null : r.toString();
  }

  boolean isMember(String set, String member) throws Exception {
    return redis
        .send(Request.cmd(Command.SISMEMBER).arg(set).arg(member))
        .await(5, TimeUnit.SECONDS)
        .toBoolean();
  }

  /** GET {@code path} through the upstream the app's route names. */
  String get(String app, String path) throws Exception {
    String upstream = route(app);
    if (upstream == null) {
      throw new IllegalStateException("app " + app + " has no route");
    }
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + upstream + path))
                .timeout(Duration.ofSeconds(3))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return response.statusCode() + " " + response.body().trim();
  }

  /** The HTTP (health) port of the last {@link #env()}. */
  int lastHttpPort() {
    return lastHttpPort;
  }

  /** Whether {@code url} answers 200. */
  boolean answers(String url) {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Managed containers of the app on the engine, running or not. */
  List<Container> containersOf(String app) {
    return docker
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of(Labels.APP, app))
        .exec();
  }

  boolean exists(String containerId) {
    try {
      docker.inspectContainerCmd(containerId).exec();
      return true;
    } catch (NotFoundException gone) {
      return false;
    }
  }

  @Override
  public void close() throws Exception {
    stopDeployer();
    deployEvents.close();
    for (String app : apps) {
      for (Container c : containersOf(app)) {
        try {
          docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException gone) {
          // Removed meanwhile.
        }
      }
    }
    deleteKeys();
    redis.close();
    publisher.close();
    vertx.close().await(20, TimeUnit.SECONDS);
    try (Stream<Path> paths = Files.walk(dataDir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Deletes every key of this installation, as a flushed or lost Redis would. */
  void deleteKeys() throws Exception {
    Response found =
        redis.send(Request.cmd(Command.KEYS).arg(keyPrefix + "*")).await(10, TimeUnit.SECONDS);
    if (found != null && found.size() > 0) {
      Request del = Request.cmd(Command.DEL);
      found.forEach(k -> del.arg(k.toString()));
      redis.send(del).await(10, TimeUnit.SECONDS);
    }
  }
}
