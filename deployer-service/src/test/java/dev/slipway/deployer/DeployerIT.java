package dev.slipway.deployer;

import static dev.slipway.deployer.Harness.DEADLINE;
import static dev.slipway.deployer.Harness.newId;
import static dev.slipway.deployer.Harness.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import dev.slipway.infra.events.DeployCommand.RollbackRequested;
import dev.slipway.infra.events.DeployEvent.AppRemoved;
import dev.slipway.infra.events.DeployEvent.DeployFailed;
import dev.slipway.infra.events.DeployEvent.DeployRolledBack;
import dev.slipway.infra.events.DeployEvent.DeploySucceeded;
import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.DeploySpec.Strategy;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.secrets.CredentialStore;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.LocalRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The deployer on the real Docker engine, Redis and Kafka")
class DeployerIT {

  static String v1;
  static String v2;
  static String broken;

  private Harness h;

  @BeforeAll
  static void images() {
    v1 = BusyboxImages.randomTag();
    BusyboxImages.httpImage(v1, Map.of("up", "ok", "version", "v1"));
    v2 = BusyboxImages.randomTag();
    BusyboxImages.httpImage(v2, Map.of("up", "ok", "version", "v2"));
    // Serves /version but no /up: it never passes the health check.
    broken = BusyboxImages.randomTag();
    BusyboxImages.httpImage(broken, Map.of("version", "broken"));
  }

  @AfterAll
  static void removeImages() {
    for (String image : List.of(v1, v2, broken)) {
      BusyboxImages.remove(image);
    }
  }

  @BeforeEach
  void start() throws Exception {
    h = new Harness();
    h.startDeployer();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  @DisplayName(
      "a blue-green deploy runs the app behind its route, and a redeploy switches to the new"
          + " version and removes the old container, every step reported in order")
  void blueGreen() throws Exception {
    String app = h.newApp();
    String first = newId("d1");
    h.send(
        new DeployRequested(first, app, spec(app, v1, Strategy.BLUE_GREEN), null, Instant.now()));
    assertThat(h.awaitEnded(first)).containsEntry(DeploymentHash.STATUS, "succeeded");

    Map<String, String> state = h.hash(h.keys.app(app));
    assertThat(state)
        .containsEntry(AppHash.IMAGE, v1)
        .containsEntry(AppHash.LIVE_COLOR, "blue")
        .containsEntry(AppHash.LIVE_REVISION, "1")
        .containsEntry(AppHash.LIVE_DEPLOYMENT, first)
        .containsEntry(AppHash.DEPLOY_IN_FLIGHT, "false")
        .containsEntry(AppHash.SELF_HEAL, "true")
        .containsEntry(AppHash.UPSTREAM, h.route(app));
    assertThat(h.route(app)).matches("127\\.0\\.0\\.1:\\d+");
    assertThat(h.get(app, "/version")).isEqualTo("200 v1");
    assertThat(h.isMember(h.keys.apps(), app)).isTrue();
    String blue = state.get(AppHash.LIVE_CONTAINER);
    InspectContainerResponse container = h.docker.inspectContainerCmd(blue).exec();
    assertThat(container.getName()).isEqualTo("/" + Labels.containerName(app, 1, "blue"));
    assertThat(container.getConfig().getLabels())
        .containsEntry(Labels.MANAGED, "true")
        .containsEntry(Labels.APP, app)
        .containsEntry(Labels.DEPLOYMENT, first)
        .containsEntry(Labels.REVISION, "1")
        .containsEntry(Labels.COLOR, "blue")
        .containsEntry(Labels.ROLE, "web")
        .containsEntry("team", "it");
    assertThat(container.getConfig().getEnv()).contains("GREETING=hello");
    assertThat(container.getHostConfig().getMemory()).isEqualTo(64L << 20);
    assertThat(container.getHostConfig().getNanoCPUs()).isEqualTo(500_000_000L);
    awaitSteps(first, DeployerTest.FIRST_BLUE_GREEN_STEPS);
    DeploySucceeded succeeded = h.deployEvents.of(DeploySucceeded.class).getFirst();
    assertThat(succeeded.spec()).isEqualTo(spec(app, v1, Strategy.BLUE_GREEN));
    assertThat(succeeded.containerId()).isEqualTo(blue);
    assertThat(succeeded.upstream()).isEqualTo(h.route(app));

    String second = newId("d2");
    h.send(
        new DeployRequested(second, app, spec(app, v2, Strategy.BLUE_GREEN), null, Instant.now()));
    assertThat(h.awaitEnded(second)).containsEntry(DeploymentHash.STATUS, "succeeded");

    assertThat(h.get(app, "/version")).isEqualTo("200 v2");
    Map<String, String> after = h.hash(h.keys.app(app));
    assertThat(after)
        .containsEntry(AppHash.IMAGE, v2)
        .containsEntry(AppHash.LIVE_COLOR, "green")
        .containsEntry(AppHash.LIVE_REVISION, "2")
        .containsEntry(AppHash.LAST_REVISION, "2");
    assertThat(h.exists(blue)).as("old container removed").isFalse();
    List<Container> left = h.containersOf(app);
    assertThat(left)
        .extracting(Container::getId)
        .containsExactly(after.get(AppHash.LIVE_CONTAINER));
    assertThat(left.getFirst().getState()).isEqualTo("running");
    awaitSteps(
        second,
        "DeployStarted",
        "validate",
        "pull",
        "create",
        "start",
        "health_gate",
        "record",
        "DeploySucceeded",
        "switch",
        "drain",
        "remove_old");
    assertThat(h.hash(h.keys.appRevisions(app))).containsOnlyKeys("1", "2");
  }

  @Test
  @DisplayName(
      "a new revision that fails its health check is removed, and the old one keeps serving"
          + " untouched")
  void healthGateFailure() throws Exception {
    String app = h.newApp();
    String first = deployAndWait(app, v1, Strategy.BLUE_GREEN);
    Map<String, String> before = h.hash(h.keys.app(app));

    String bad = newId("bad");
    DeploySpec.HealthSpec quick = new DeploySpec.HealthSpec(null, "200ms", "1s", null, null, "2s");
    h.send(
        new DeployRequested(
            bad, app, spec(app, broken, Strategy.BLUE_GREEN, quick), null, Instant.now()));
    Map<String, String> outcome = h.awaitEnded(bad);

    assertThat(outcome)
        .containsEntry(DeploymentHash.STATUS, "failed")
        .containsEntry(DeploymentHash.REASON, "health_timeout")
        .containsEntry(DeploymentHash.PHASE, "health_gate");
    assertThat(h.get(app, "/version")).isEqualTo("200 v1");
    Map<String, String> after = h.hash(h.keys.app(app));
    for (String field :
        List.of(
            AppHash.IMAGE,
            AppHash.LIVE_CONTAINER,
            AppHash.LIVE_COLOR,
            AppHash.LIVE_REVISION,
            AppHash.LIVE_DEPLOYMENT,
            AppHash.UPSTREAM,
            AppHash.SPEC)) {
      assertThat(after.get(field)).as(field).isEqualTo(before.get(field));
    }
    assertThat(after).containsEntry(AppHash.DEPLOY_IN_FLIGHT, "false");
    assertThat(h.containersOf(app))
        .extracting(Container::getId)
        .containsExactly(before.get(AppHash.LIVE_CONTAINER));
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(h.eventsOf(bad).getLast())
                    .isInstanceOfSatisfying(
                        DeployFailed.class,
                        f -> {
                          assertThat(f.reason()).isEqualTo("health_timeout");
                          assertThat(f.phase()).isEqualTo(DeployPhase.HEALTH_GATE);
                          assertThat(f.message()).contains("GET /up", "HTTP 404", "port 8080");
                        }));
    assertThat(h.eventsOf(bad)).noneMatch(e -> e instanceof DeploySucceeded);
    assertThat(first).isEqualTo(after.get(AppHash.LIVE_DEPLOYMENT));
  }

  @Test
  @DisplayName("a recreate deploy stops the old container before it starts the new one")
  void recreate() throws Exception {
    String app = h.newApp();
    deployAndWait(app, v1, Strategy.RECREATE);
    String old = h.hash(h.keys.app(app)).get(AppHash.LIVE_CONTAINER);
    String second = deployAndWait(app, v2, Strategy.RECREATE);

    assertThat(h.get(app, "/version")).isEqualTo("200 v2");
    assertThat(h.exists(old)).isFalse();
    assertThat(h.containersOf(app)).hasSize(1);
    awaitSteps(
        second,
        "DeployStarted",
        "validate",
        "pull",
        "drain",
        "create",
        "start",
        "health_gate",
        "record",
        "DeploySucceeded",
        "switch",
        "remove_old");
  }

  @Test
  @DisplayName(
      "a newer deploy supersedes one still queued behind a running deploy, and the queued one is"
          + " reported superseded")
  void supersede() throws Exception {
    String app = h.newApp();
    String running = newId("a");
    String queued = newId("b");
    String newest = newId("c");
    h.send(
        new DeployRequested(running, app, spec(app, v1, Strategy.BLUE_GREEN), null, Instant.now()));
    h.send(
        new DeployRequested(queued, app, spec(app, v2, Strategy.BLUE_GREEN), null, Instant.now()));
    h.send(
        new DeployRequested(newest, app, spec(app, v1, Strategy.BLUE_GREEN), null, Instant.now()));

    assertThat(h.awaitEnded(running)).containsEntry(DeploymentHash.STATUS, "succeeded");
    assertThat(h.awaitEnded(queued))
        .containsEntry(DeploymentHash.STATUS, "superseded")
        .containsEntry(DeploymentHash.SUPERSEDED_BY, newest);
    assertThat(h.awaitEnded(newest)).containsEntry(DeploymentHash.STATUS, "succeeded");
    assertThat(h.hash(h.keys.app(app))).containsEntry(AppHash.LIVE_DEPLOYMENT, newest);
    assertThat(h.get(app, "/version")).isEqualTo("200 v1");
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(h.eventsOf(queued))
                    .singleElement()
                    .isInstanceOfSatisfying(
                        DeployFailed.class,
                        f -> {
                          assertThat(f.reason()).isEqualTo("superseded");
                          assertThat(f.message()).contains(newest);
                        }));
  }

  @Test
  @DisplayName("a rollback puts the previous revision back live without a rebuild")
  void rollback() throws Exception {
    String app = h.newApp();
    deployAndWait(app, v1, Strategy.BLUE_GREEN);
    deployAndWait(app, v2, Strategy.BLUE_GREEN);
    assertThat(h.get(app, "/version")).isEqualTo("200 v2");

    String back = newId("rb");
    h.send(new RollbackRequested(back, app, null, Instant.now()));
    assertThat(h.awaitEnded(back)).containsEntry(DeploymentHash.STATUS, "succeeded");

    assertThat(h.get(app, "/version")).isEqualTo("200 v1");
    assertThat(h.hash(h.keys.app(app)))
        .containsEntry(AppHash.LIVE_REVISION, "1")
        .containsEntry(AppHash.LAST_REVISION, "2")
        .containsEntry(AppHash.IMAGE, v1)
        .containsEntry(AppHash.LIVE_DEPLOYMENT, back);
    assertThat(h.containersOf(app))
        .singleElement()
        .satisfies(
            c -> assertThat(c.getNames()).contains("/" + Labels.containerName(app, 1, "blue")));
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(h.eventsOf(back))
                    .filteredOn(e -> e instanceof DeployRolledBack)
                    .singleElement()
                    .isInstanceOfSatisfying(
                        DeployRolledBack.class,
                        r -> {
                          assertThat(r.fromRevision()).isEqualTo(2);
                          assertThat(r.toRevision()).isEqualTo(1);
                        }));
  }

  @Test
  @DisplayName("removing an app stops and removes its containers, its route and its state")
  void teardown() throws Exception {
    String app = h.newApp();
    deployAndWait(app, v1, Strategy.BLUE_GREEN);
    String remove = newId("rm");
    h.send(new RemoveRequested(remove, app, Instant.now()));
    assertThat(h.awaitEnded(remove)).containsEntry(DeploymentHash.STATUS, "removed");

    assertThat(h.containersOf(app)).isEmpty();
    assertThat(h.route(app)).isNull();
    assertThat(h.hash(h.keys.app(app))).isEmpty();
    assertThat(h.hash(h.keys.appRevisions(app))).isEmpty();
    assertThat(h.isMember(h.keys.apps(), app)).isFalse();
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> assertThat(h.eventsOf(remove).getLast()).isInstanceOf(AppRemoved.class));
  }

  @Test
  @DisplayName("a build that succeeds with a deploy spec deploys the built image")
  void autoDeploy() throws Exception {
    String app = h.newApp();
    String buildId = newId("build");
    String repository = v1.substring(0, v1.lastIndexOf(':'));
    String tag = v1.substring(v1.lastIndexOf(':') + 1);
    h.publish(
        h.topics.buildEvents(),
        buildId,
        new BuildSucceeded(
            buildId,
            "0123456789abcdef0123456789abcdef01234567",
            repository,
            "sha256:" + "0".repeat(64),
            null,
            List.of(tag),
            spec(app, "replaced-by-the-built-image", Strategy.BLUE_GREEN),
            Instant.now(),
            3L,
            Instant.now()));

    Map<String, String> outcome = h.awaitEnded("build-" + buildId);
    assertThat(outcome)
        .containsEntry(DeploymentHash.STATUS, "succeeded")
        .containsEntry(DeploymentHash.BUILD_ID, buildId);
    assertThat(h.hash(h.keys.app(app))).containsEntry(AppHash.IMAGE, v1);
    assertThat(h.get(app, "/version")).isEqualTo("200 v1");
  }

  @Test
  @DisplayName(
      "a reconcile request after the live container was removed behind its back recreates it")
  void selfHeal() throws Exception {
    String app = h.newApp();
    deployAndWait(app, v1, Strategy.BLUE_GREEN);
    String lost = h.hash(h.keys.app(app)).get(AppHash.LIVE_CONTAINER);
    h.docker.removeContainerCmd(lost).withForce(true).exec();

    h.send(
        new ReconcileRequested(app, "missing: expected " + lost + ", found none", Instant.now()));

    Map<String, String> healed =
        await("a new live container")
            .atMost(DEADLINE)
            .until(
                () -> h.hash(h.keys.app(app)),
                s ->
                    !lost.equals(s.get(AppHash.LIVE_CONTAINER))
                        && "false".equals(s.get(AppHash.DEPLOY_IN_FLIGHT)));
    assertThat(healed).containsEntry(AppHash.LIVE_REVISION, "1").containsEntry(AppHash.IMAGE, v1);
    assertThat(
            h.docker
                .inspectContainerCmd(healed.get(AppHash.LIVE_CONTAINER))
                .exec()
                .getState()
                .getRunning())
        .isTrue();
    assertThat(h.get(app, "/version")).isEqualTo("200 v1");
    assertThat(h.containersOf(app)).hasSize(1);
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(h.deployEvents.of(DeploySucceeded.class))
                    .anySatisfy(
                        s -> {
                          assertThat(s.deploymentId()).startsWith("reconcile-");
                          assertThat(s.containerId()).isEqualTo(healed.get(AppHash.LIVE_CONTAINER));
                          assertThat(s.revision()).isEqualTo(1);
                        }));
  }

  @Test
  @DisplayName(
      "after Redis lost the deployer's keys, a restarted deployer rebuilds the app, its history and"
          + " its route from the deploy events and the engine")
  void rebuildAfterRedisLoss() throws Exception {
    String app = h.newApp();
    deployAndWait(app, v1, Strategy.BLUE_GREEN);
    String second = deployAndWait(app, v2, Strategy.BLUE_GREEN);
    Map<String, String> before = h.hash(h.keys.app(app));
    h.stopDeployer();
    h.deleteKeys();

    h.startDeployer();

    Map<String, String> after = h.hash(h.keys.app(app));
    for (String field :
        List.of(
            AppHash.IMAGE,
            AppHash.SPEC,
            AppHash.LIVE_CONTAINER,
            AppHash.LIVE_COLOR,
            AppHash.LIVE_REVISION,
            AppHash.LAST_REVISION,
            AppHash.UPSTREAM)) {
      assertThat(after.get(field)).as(field).isEqualTo(before.get(field));
    }
    assertThat(after).containsEntry(AppHash.LIVE_DEPLOYMENT, second);
    assertThat(h.hash(h.keys.appRevisions(app))).containsOnlyKeys("1", "2");
    assertThat(h.isMember(h.keys.apps(), app)).isTrue();
    assertThat(h.get(app, "/version")).isEqualTo("200 v2");
    assertThat(h.containersOf(app)).hasSize(1);
  }

  @Test
  @DisplayName(
      "an image that is only in a registry behind auth is pulled with the credential stored for"
          + " that registry")
  void pullWithStoredCredential() throws Exception {
    String password = "pw-" + UUID.randomUUID();
    try (LocalRegistry registry = LocalRegistry.startWithAuth("puller", password)) {
      String repository = registry.address() + "/it/" + h.newApp();
      String image = repository + ":v1";
      h.docker.tagImageCmd(v1, repository, "v1").exec();
      try {
        h.docker
            .pushImageCmd(repository)
            .withTag("v1")
            .withAuthConfig(registry.authConfig())
            .start()
            .awaitCompletion(60, TimeUnit.SECONDS);
        h.docker.removeImageCmd(image).exec();
        h.stopDeployer();
        try (CredentialStore credentials =
            new CredentialStore(
                h.vertx,
                KafkaBroker.bootstrapServers(),
                h.topics.registryCredentials(),
                SecretBox.load(Env.system(), h.dataDir),
                h.publisher,
                "it-credentials")) {
          credentials.start().await(30, TimeUnit.SECONDS);
          credentials
              .put("local", registry.address(), "puller", password)
              .await(30, TimeUnit.SECONDS);
        }
        h.startDeployer();

        String app = h.newApp();
        String id = newId("pull");
        h.send(
            new DeployRequested(
                id, app, spec(app, image, Strategy.BLUE_GREEN), null, Instant.now()));

        assertThat(h.awaitEnded(id)).containsEntry(DeploymentHash.STATUS, "succeeded");
        assertThat(h.get(app, "/version")).isEqualTo("200 v1");
        assertThat(h.docker.inspectImageCmd(image).exec().getId())
            .isEqualTo(h.docker.inspectImageCmd(v1).exec().getId());
        awaitSteps(id, DeployerTest.FIRST_BLUE_GREEN_STEPS);
      } finally {
        h.stopDeployer();
        for (Container c : h.containersOf(h.apps.getLast())) {
          h.docker.removeContainerCmd(c.getId()).withForce(true).exec();
        }
        try {
          h.docker.removeImageCmd(image).withForce(true).exec();
        } catch (NotFoundException gone) {
          // Never pulled.
        }
      }
    }
  }

  private String deployAndWait(String app, String image, Strategy strategy) throws Exception {
    String id = newId("d");
    h.send(new DeployRequested(id, app, spec(app, image, strategy), null, Instant.now()));
    assertThat(h.awaitEnded(id)).containsEntry(DeploymentHash.STATUS, "succeeded");
    return id;
  }

  /** The deployment's events, once the recorder has them all. */
  private void awaitSteps(String deploymentId, String... steps) {
    await("events of " + deploymentId)
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(h.stepsOf(deploymentId)).containsExactly(steps));
  }
}
