package dev.slipway.reconciler.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.slipway.infra.docker.DockerClients;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.events.ContainerEvent.ContainerHealthChanged;
import dev.slipway.infra.events.ContainerEvent.ContainerMissing;
import dev.slipway.infra.events.ContainerEvent.ContainerStateChanged;
import dev.slipway.infra.events.ContainerEvent.DriftDetected;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DriftKind;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.events.Topics;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import dev.slipway.infra.testing.TopicRecorder;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The container reconciler on the real Docker engine, Redis and Kafka")
class ContainerReconcilerIT {

  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final Duration LONG_RESYNC = Duration.ofHours(1);
  private static final ExposedPort HTTP = ExposedPort.tcp(BusyboxImages.HTTP_PORT);

  private static DockerClient docker;
  private static String image;
  private static Vertx vertx;
  private static EventPublisher publisher;

  private final List<String> containers = new ArrayList<>();
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private String prefix;
  private RedisKeys keys;
  private Redis redis;
  private Topic<ContainerEvent> containerTopic;
  private Topic<DeployCommand> deployTopic;
  private TopicRecorder<ContainerEvent> containerEvents;
  private TopicRecorder<DeployCommand> deployCommands;
  private String deployment;

  @BeforeAll
  static void engine() {
    docker = dev.slipway.infra.testing.DockerEngine.require();
    image = BusyboxImages.randomTag();
    BusyboxImages.httpImage(image, Map.of("index.html", "ok"));
    vertx = Vertx.vertx();
    publisher = new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/test/reconciler", "it");
  }

  @AfterAll
  static void cleanUp() throws Exception {
    publisher.close();
    vertx.close().await(20, TimeUnit.SECONDS);
    BusyboxImages.remove(image);
  }

  @BeforeEach
  void setUp() throws Exception {
    prefix = RedisServer.randomKeyPrefix();
    keys = new RedisKeys(prefix);
    redis = RedisClients.create(vertx, RedisServer.url());
    containerTopic = KafkaBroker.randomTopic(Topics.CONTAINER_EVENTS, 1);
    deployTopic = KafkaBroker.randomTopic(Topics.DEPLOY_COMMANDS, 1);
    containerEvents = new TopicRecorder<>(containerTopic);
    deployCommands = new TopicRecorder<>(deployTopic);
    closeAfter.add(containerEvents);
    closeAfter.add(deployCommands);
  }

  @AfterEach
  void tearDown() throws Exception {
    stopReconciler();
    for (String id : containers) {
      try {
        docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
      } catch (NotFoundException alreadyGone) {
        // The test removed it.
      }
    }
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    deleteKeys(redis, prefix);
    redis.close();
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  @DisplayName(
      "create, start, stop, kill and remove behind its back show in the projection and as"
          + " container events, in order")
  void lifecycle() throws Exception {
    startReconciler(redis, LONG_RESYNC);
    String app = app();

    String id = create(app, true, null);
    awaitState(id, "created");
    docker.startContainerCmd(id).exec();
    Map<String, String> running = awaitState(id, "running");
    String hostPort =
        docker
            .inspectContainerCmd(id)
            .exec()
            .getNetworkSettings()
            .getPorts()
            .getBindings()
            .get(HTTP)[0]
            .getHostPortSpec();
    docker.stopContainerCmd(id).withTimeout(1).exec();
    Map<String, String> stopped = awaitState(id, "exited");
    docker.startContainerCmd(id).exec();
    awaitState(id, "running");
    docker.killContainerCmd(id).exec();
    Map<String, String> killed = awaitState(id, "exited");
    docker.removeContainerCmd(id).exec();
    Map<String, String> removed = awaitState(id, ContainerHash.MISSING);

    assertThat(new JsonArray(running.get(ContainerHash.PORTS)))
        .containsExactly(
            new JsonObject()
                .put(ContainerHash.Port.CONTAINER_PORT, 8080)
                .put(ContainerHash.Port.PROTOCOL, "tcp")
                .put(ContainerHash.Port.HOST_IP, "127.0.0.1")
                .put(ContainerHash.Port.HOST_PORT, Integer.parseInt(hostPort)));
    assertThat(running)
        .containsEntry(ContainerHash.APP, app)
        .containsEntry(ContainerHash.IMAGE, image)
        .containsEntry(ContainerHash.IMAGE_ID, docker.inspectImageCmd(image).exec().getId())
        .containsEntry(ContainerHash.HEALTH, ContainerHash.HEALTH_NONE)
        .containsKeys(ContainerHash.STARTED_AT, ContainerHash.LAST_EVENT_AT);
    assertThat(stopped).containsKeys(ContainerHash.FINISHED_AT, ContainerHash.EXIT_CODE);
    assertThat(stopped.get(ContainerHash.PORTS)).isEqualTo("[]");
    assertThat(killed).containsEntry(ContainerHash.EXIT_CODE, "137");
    assertThat(removed).containsKey(ContainerHash.MISSING_SINCE);
    assertThat(removed.get(ContainerHash.LAST_EVENT)).isEqualTo("destroy");

    await().atMost(DEADLINE).until(() -> containerEvents.of(ContainerMissing.class).size() == 1);
    assertThat(stateChangesOf(id))
        .containsExactly("created", "running", "exited", "running", "exited", "missing");
    assertThat(containerEvents.all())
        .filteredOn(r -> idOf(r.event()).equals(id))
        .allSatisfy(r -> assertThat(r.key()).isEqualTo(app))
        .last()
        .satisfies(r -> assertThat(r.event()).isInstanceOf(ContainerMissing.class));
    List<Map<String, String>> feed = feed();
    assertThat(feed)
        .filteredOn(f -> id.equals(f.get(ContainerHash.Feed.ID)))
        .extracting(f -> f.get(ContainerHash.Feed.STATE))
        .containsExactly("created", "running", "exited", "running", "exited", "missing", "missing");
  }

  @Test
  @DisplayName("a health check that fails and recovers shows as health changes, not state changes")
  void health() throws Exception {
    startReconciler(redis, LONG_RESYNC);
    String app = app();
    HealthCheck check =
        new HealthCheck()
            .withTest(List.of("CMD-SHELL", "test -f /tmp/healthy"))
            .withInterval(Duration.ofMillis(300).toNanos())
            .withTimeout(Duration.ofSeconds(2).toNanos())
            .withStartPeriod(0L)
            .withRetries(1);
    String id = create(app, true, check);
    docker.startContainerCmd(id).exec();

    awaitHealth(id, "unhealthy");
    exec(id, "touch", "/tmp/healthy");
    awaitHealth(id, "healthy");
    exec(id, "rm", "/tmp/healthy");
    awaitHealth(id, "unhealthy");

    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(containerEvents.of(ContainerHealthChanged.class))
                    .filteredOn(h -> h.containerId().equals(id))
                    .extracting(ContainerHealthChanged::health)
                    .endsWith("unhealthy", "healthy", "unhealthy"));
    assertThat(stateChangesOf(id))
        .as("health is no state change")
        .endsWith("running")
        .doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("containers that changed while the reconciler was down are right after it starts")
  void convergesAfterDowntime() throws Exception {
    startReconciler(redis, LONG_RESYNC);
    String app = app();
    String stays = create(app, true, null);
    String stops = create(app, true, null);
    String goes = create(app, true, null);
    for (String id : List.of(stays, stops, goes)) {
      docker.startContainerCmd(id).exec();
      awaitState(id, "running");
    }
    awaitRecorded(stays, "running");
    awaitRecorded(stops, "running");
    awaitRecorded(goes, "running");
    stopReconciler();

    docker.killContainerCmd(stops).exec();
    docker.removeContainerCmd(goes).withForce(true).exec();
    String arrives = create(app, true, null);
    docker.startContainerCmd(arrives).exec();
    int eventsBefore = containerEvents.all().size();

    startReconciler(redis, LONG_RESYNC);

    // The boot pass is done once the reconciler is deployed.
    assertThat(hash(stays)).containsEntry(ContainerHash.STATE, "running");
    assertThat(hash(stops)).containsEntry(ContainerHash.STATE, "exited");
    assertThat(hash(goes)).containsEntry(ContainerHash.STATE, ContainerHash.MISSING);
    assertThat(hash(arrives)).containsEntry(ContainerHash.STATE, "running");
    assertThat(members(keys.containers())).contains(stays, stops, goes, arrives);
    await().atMost(DEADLINE).until(() -> containerEvents.all().size() >= eventsBefore + 4);
    assertThat(containerEvents.all().subList(eventsBefore, containerEvents.all().size()))
        .extracting(r -> r.event())
        .filteredOn(e -> e instanceof ContainerStateChanged)
        .map(e -> (ContainerStateChanged) e)
        .extracting(e -> e.containerId() + ":" + e.previousState() + "->" + e.state())
        .containsExactlyInAnyOrder(
            stops + ":running->exited", goes + ":running->missing", arrives + ":null->running");
  }

  @Test
  @DisplayName(
      "when the engine connection drops and comes back, the reconciler reconnects and catches up")
  void reconnects() throws Exception {
    try (EngineProxy proxy = new EngineProxy(dev.slipway.infra.testing.DockerEngine.host()).up();
        DockerClient viaProxy = DockerClients.create(proxy.host())) {
      startReconciler(redis, LONG_RESYNC, new DockerJavaEngine(viaProxy));
      String app = app();
      String stops = create(app, true, null);
      docker.startContainerCmd(stops).exec();
      awaitState(stops, "running");

      proxy.down();
      docker.killContainerCmd(stops).exec();
      String arrives = create(app, true, null);
      // Nothing reaches the reconciler now.
      await()
          .during(Duration.ofSeconds(1))
          .atMost(DEADLINE)
          .until(
              () ->
                  hash(arrives).isEmpty()
                      && "running".equals(hash(stops).get(ContainerHash.STATE)));

      proxy.up();

      awaitState(stops, "exited");
      awaitState(arrives, "created");
      // Before the proxy and its client go away.
      stopReconciler();
    }
  }

  @Test
  @DisplayName(
      "after a FLUSHALL the projection is rebuilt from the engine, with no repeated events")
  void rebuildsAfterFlush() throws Exception {
    withPrivateRedis(
        own -> {
          String app = app();
          String running = create(app, true, null);
          String created = create(app, true, null);
          docker.startContainerCmd(running).exec();
          awaitState(running, "running");
          awaitState(created, "created");
          Map<String, String> before = hash(running);
          awaitRecorded(running, "running");
          awaitRecorded(created, "created");
          int published = containerEvents.all().size();

          send(Request.cmd(Command.FLUSHALL));
          assertThat(members(keys.containers())).isEmpty();

          await().atMost(Duration.ofSeconds(5)).until(() -> hash(running).equals(before));
          await().atMost(DEADLINE).until(() -> members(keys.containers()).contains(created));
          assertThat(hash(created)).containsEntry(ContainerHash.STATE, "created");
          await()
              .during(Duration.ofMillis(1500))
              .atMost(DEADLINE)
              .until(() -> containerEvents.all().size() == published);
        });
  }

  @Test
  @DisplayName(
      "after Redis restarts empty the reconciler reconnects, rebuilds the projection and keeps"
          + " following the engine")
  void rebuildsAfterRedisRestart() throws Exception {
    withPrivateRedis(
        own -> {
          String app = app();
          String running = create(app, true, null);
          docker.startContainerCmd(running).exec();
          Map<String, String> before = awaitState(running, "running");

          own.restart();

          // The first commands after the restart may meet a dead pooled connection: retried.
          await("projection rebuilt after the restart")
              .atMost(DEADLINE)
              .ignoreExceptions()
              .until(() -> hash(running).equals(before));
          // And the engine's events are still followed into the new server.
          docker.stopContainerCmd(running).withTimeout(1).exec();
          await("stop projected after the restart")
              .atMost(DEADLINE)
              .ignoreExceptions()
              .until(() -> "exited".equals(hash(running).get(ContainerHash.STATE)));
        });
  }

  @Test
  @DisplayName("a container without Slipway's labels is never projected nor touched")
  void unlabelled() throws Exception {
    String foreign = create(app(), false, null);
    docker.startContainerCmd(foreign).exec();
    InspectContainerResponse before = docker.inspectContainerCmd(foreign).exec();
    String managed = create(app(), true, null);

    startReconciler(redis, Duration.ofMillis(200));
    awaitState(managed, "created");
    // Several resyncs go by.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(DEADLINE)
        .until(() -> !members(keys.containers()).contains(foreign) && hash(foreign).isEmpty());

    InspectContainerResponse after = docker.inspectContainerCmd(foreign).exec();
    assertThat(after.getState().getStatus()).isEqualTo("running");
    assertThat(after.getState().getStartedAt()).isEqualTo(before.getState().getStartedAt());
    assertThat(after.getRestartCount()).isEqualTo(before.getRestartCount());
    assertThat(after.getConfig().getLabels()).isEqualTo(before.getConfig().getLabels());
    assertThat(containerEvents.all()).noneMatch(r -> idOf(r.event()).equals(foreign));
    assertThat(feed()).noneMatch(f -> foreign.equals(f.get(ContainerHash.Feed.ID)));
  }

  @Test
  @DisplayName(
      "each kind of drift is reported once, and self-heal asks the deployer to reconcile each")
  void driftOfEachKind() throws Exception {
    String app = app();
    String live = create(app, true, null);
    docker.startContainerCmd(live).exec();
    writeApp(
        app, Map.of(AppHash.IMAGE, image, AppHash.LIVE_CONTAINER, live, AppHash.SELF_HEAL, "true"));
    startReconciler(redis, Duration.ofMillis(300));
    await().during(Duration.ofSeconds(1)).atMost(DEADLINE).until(() -> drifts(app).isEmpty());

    writeApp(app, Map.of(AppHash.IMAGE, "slipway-test/elsewhere:2"));
    awaitDrift(app, DriftKind.IMAGE_DIFFERS, live, "slipway-test/elsewhere:2", image);
    writeApp(app, Map.of(AppHash.IMAGE, image));

    String extra = create(app, true, null);
    awaitDrift(app, DriftKind.UNEXPECTED, extra, live, null);

    docker.killContainerCmd(live).exec();
    awaitDrift(app, DriftKind.STOPPED, live, "running", "exited");

    docker.removeContainerCmd(live).exec();
    awaitDrift(app, DriftKind.MISSING, live, live, "none");

    // Resyncs keep going; nothing is reported twice.
    await().during(Duration.ofSeconds(1)).atMost(DEADLINE).until(() -> drifts(app).size() == 4);
    assertThat(drifts(app))
        .extracting(DriftDetected::kind)
        .containsExactly(
            DriftKind.IMAGE_DIFFERS, DriftKind.UNEXPECTED, DriftKind.STOPPED, DriftKind.MISSING);
    await().atMost(DEADLINE).until(() -> deployCommands.all().size() == 4);
    assertThat(deployCommands.all())
        .allSatisfy(
            r -> {
              assertThat(r.key()).isEqualTo(app);
              assertThat(r.event()).isInstanceOf(ReconcileRequested.class);
            });
    assertThat(feed())
        .filteredOn(f -> f.containsKey(ContainerHash.Feed.DRIFT))
        .extracting(f -> f.get(ContainerHash.Feed.DRIFT))
        .containsExactly("image_differs", "unexpected", "stopped", "missing");
  }

  @Test
  @DisplayName("an app with a deploy in flight is left alone; without self-heal drift is only told")
  void driftLeftAloneOrToldOnly() throws Exception {
    String deploying = app();
    String reportOnly = app();
    String nowhere = "f".repeat(64);
    writeApp(
        deploying,
        Map.of(
            AppHash.IMAGE,
            image,
            AppHash.LIVE_CONTAINER,
            nowhere,
            AppHash.SELF_HEAL,
            "true",
            AppHash.DEPLOY_IN_FLIGHT,
            "true"));
    writeApp(
        reportOnly,
        Map.of(AppHash.IMAGE, image, AppHash.LIVE_CONTAINER, nowhere, AppHash.SELF_HEAL, "false"));

    startReconciler(redis, Duration.ofMillis(200));

    awaitDrift(reportOnly, DriftKind.MISSING, nowhere, nowhere, "none");
    await().during(Duration.ofSeconds(1)).atMost(DEADLINE).until(() -> drifts(deploying).isEmpty());
    assertThat(drifts(reportOnly)).hasSize(1);
    assertThat(deployCommands.all()).isEmpty();
  }

  // ---- reconciler ---------------------------------------------------------------------------

  private interface WithRedis {
    void run(RedisServer.Instance own) throws Exception;
  }

  /**
   * Runs {@code test} with a reconciler (resync every second) on a private redis-server of its own,
   * which the test may flush or restart; the shared one stays untouched.
   */
  private void withPrivateRedis(WithRedis test) throws Exception {
    try (RedisServer.Instance own = RedisServer.startPrivate()) {
      Redis ownRedis = RedisClients.create(vertx, own.url());
      Redis previous = redis;
      redis = ownRedis;
      try {
        startReconciler(ownRedis, Duration.ofSeconds(1));
        test.run(own);
      } finally {
        stopReconciler();
        redis = previous;
        ownRedis.close();
      }
    }
  }

  private void startReconciler(Redis client, Duration resync) throws Exception {
    startReconciler(client, resync, new DockerJavaEngine(docker));
  }

  private void startReconciler(Redis client, Duration resync, DockerEngine engine)
      throws Exception {
    ContainerReconcilerConfig config =
        ContainerReconcilerConfig.defaults().withIntervals(resync, Duration.ofMinutes(10));
    deployment =
        vertx
            .deployVerticle(
                new ContainerReconciler(
                    engine,
                    new RedisContainerStore(client, keys),
                    new RedisDesiredStates(client, keys),
                    new KafkaContainerEventSink(publisher, containerTopic, deployTopic),
                    config))
            .await(60, TimeUnit.SECONDS);
  }

  private void stopReconciler() throws Exception {
    if (deployment != null) {
      vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
      deployment = null;
    }
  }

  // ---- Docker -------------------------------------------------------------------------------

  private static String app() {
    return dev.slipway.infra.testing.DockerEngine.randomName("it-app");
  }

  private String create(String app, boolean managed, HealthCheck health) {
    Map<String, String> labels = new HashMap<>();
    labels.put(dev.slipway.infra.testing.DockerEngine.TEST_LABEL, "true");
    if (managed) {
      labels.put(Labels.MANAGED, Labels.TRUE);
      labels.put(Labels.APP, app);
      labels.put(Labels.ROLE, "web");
      labels.put(Labels.COLOR, "blue");
      labels.put(Labels.REVISION, "1");
      labels.put(Labels.DEPLOYMENT, "d-" + app);
    }
    var cmd =
        docker
            .createContainerCmd(image)
            .withName(dev.slipway.infra.testing.DockerEngine.randomName("slipway-it"))
            .withLabels(labels)
            .withExposedPorts(HTTP)
            .withHostConfig(
                HostConfig.newHostConfig()
                    .withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), HTTP)));
    if (health != null) {
      cmd.withHealthcheck(health);
    }
    String id = cmd.exec().getId();
    containers.add(id);
    return id;
  }

  private void exec(String id, String... command) throws InterruptedException {
    String exec = docker.execCreateCmd(id).withCmd(command).exec().getId();
    docker
        .execStartCmd(exec)
        .exec(new ResultCallback.Adapter<Frame>())
        .awaitCompletion(10, TimeUnit.SECONDS);
  }

  // ---- what a reader sees -------------------------------------------------------------------

  private Map<String, String> awaitState(String id, String state) {
    return await("state " + state + " of " + id)
        .atMost(DEADLINE)
        .until(() -> hash(id), h -> state.equals(h.get(ContainerHash.STATE)));
  }

  private void awaitRecorded(String id, String state) {
    await("event " + state + " of " + id + " on Kafka")
        .atMost(DEADLINE)
        .until(() -> stateChangesOf(id).contains(state));
  }

  private void awaitHealth(String id, String health) {
    await("health " + health + " of " + id)
        .atMost(DEADLINE)
        .until(() -> hash(id), h -> health.equals(h.get(ContainerHash.HEALTH)));
  }

  private void awaitDrift(
      String app, DriftKind kind, String containerId, String expected, String found) {
    DriftDetected drift =
        await(kind + " drift of " + app)
            .atMost(DEADLINE)
            .until(
                () -> drifts(app).stream().filter(d -> d.kind() == kind).findFirst(),
                java.util.Optional::isPresent)
            .orElseThrow();
    assertThat(drift.containerId()).isEqualTo(containerId);
    assertThat(drift.expected()).isEqualTo(expected);
    if (found != null) {
      assertThat(drift.found()).isEqualTo(found);
    }
  }

  private List<DriftDetected> drifts(String app) {
    return containerEvents.of(DriftDetected.class).stream()
        .filter(d -> d.app().equals(app))
        .toList();
  }

  private List<String> stateChangesOf(String id) {
    return containerEvents.of(ContainerStateChanged.class).stream()
        .filter(e -> e.containerId().equals(id))
        .map(ContainerStateChanged::state)
        .toList();
  }

  private static String idOf(ContainerEvent event) {
    return switch (event) {
      case ContainerStateChanged e -> e.containerId();
      case ContainerHealthChanged e -> e.containerId();
      case ContainerMissing e -> e.containerId();
      case DriftDetected e -> String.valueOf(e.containerId());
    };
  }

  // ---- Redis --------------------------------------------------------------------------------

  private void writeApp(String app, Map<String, String> fields) throws Exception {
    Request hset = Request.cmd(Command.HSET).arg(keys.app(app));
    fields.forEach((k, v) -> hset.arg(k).arg(v));
    send(hset);
    send(Request.cmd(Command.SADD).arg(keys.apps()).arg(app));
  }

  private Map<String, String> hash(String id) throws Exception {
    return RedisReplies.hash(send(Request.cmd(Command.HGETALL).arg(keys.container(id))));
  }

  private Set<String> members(String key) throws Exception {
    Set<String> members = new java.util.HashSet<>();
    send(Request.cmd(Command.SMEMBERS).arg(key)).forEach(r -> members.add(r.toString()));
    return members;
  }

  private List<Map<String, String>> feed() throws Exception {
    List<Map<String, String>> entries = new ArrayList<>();
    for (Response entry : send(Request.cmd(Command.XRANGE).arg(keys.feed()).arg("-").arg("+"))) {
      Response fields = entry.get(1);
      Map<String, String> map = new java.util.LinkedHashMap<>();
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        map.put(fields.get(i).toString(), fields.get(i + 1).toString());
      }
      entries.add(map);
    }
    return entries;
  }

  private Response send(Request request) throws Exception {
    return redis.send(request).await(10, TimeUnit.SECONDS);
  }

  private static void deleteKeys(Redis client, String prefix) throws Exception {
    Response found =
        client.send(Request.cmd(Command.KEYS).arg(prefix + "*")).await(10, TimeUnit.SECONDS);
    if (found != null && found.size() > 0) {
      Request del = Request.cmd(Command.DEL);
      found.forEach(k -> del.arg(k.toString()));
      client.send(del).await(10, TimeUnit.SECONDS);
    }
  }
}
