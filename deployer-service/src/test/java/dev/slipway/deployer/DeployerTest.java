package dev.slipway.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.deployer.engine.ContainerEngine.ContainerInfo;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.Color;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import dev.slipway.infra.events.DeployCommand.RollbackRequested;
import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.DeployEvent.DeployFailed;
import dev.slipway.infra.events.DeployEvent.DeployRolledBack;
import dev.slipway.infra.events.DeployEvent.DeployStarted;
import dev.slipway.infra.events.DeployEvent.DeploySucceeded;
import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.DeploySpec.Strategy;
import dev.slipway.infra.events.SampleEvents;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.secrets.CredentialStore.Credential;
import dev.slipway.infra.secrets.SealedEnv;
import dev.slipway.infra.secrets.SecretBox;
import io.vertx.core.Promise;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The deployer's state machine, on fakes of the engine, store, events and probe")
class DeployerTest {

  static final DeployerConfig CONFIG =
      new DeployerConfig(
          Duration.ofSeconds(1),
          Duration.ZERO,
          Duration.ofSeconds(1),
          Duration.ofMillis(300),
          Duration.ofMillis(600),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          "/up",
          Duration.ofMillis(20),
          Duration.ofMillis(100),
          1,
          3,
          true,
          2);

  static final String APP = "shop";

  /** Every step of a first blue-green deploy, in order. */
  static final String[] FIRST_BLUE_GREEN_STEPS = {
    "DeployStarted",
    "validate",
    "pull",
    "create",
    "start",
    "health_gate",
    "record",
    "DeploySucceeded",
    "switch",
    "remove_old"
  };

  /** The key this deployer opens env values with. */
  static final SecretBox BOX = box(5);

  /** A value as the gateway seals it: sealed once, so two specs built from it are equal. */
  static final String SEALED_TOKEN = SealedEnv.seal(BOX, "secret-value");

  static SecretBox box(int fill) {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, (byte) fill);
    return new SecretBox(key);
  }

  Fakes.Engine engine;
  Fakes.Store store;
  Fakes.Sink sink;
  Fakes.Probe probe;
  Deployer deployer;
  DeployHistory history = Map::of;

  @BeforeEach
  void setUp() {
    engine = new Fakes.Engine();
    store = new Fakes.Store();
    sink = new Fakes.Sink();
    probe = new Fakes.Probe(engine);
    for (String image : List.of("shop:1", "shop:2", "shop:3")) {
      engine.images.add(image);
      probe.healthyImages.add(image);
    }
    engine.images.add("shop:broken");
    deployer = deployer(CONFIG);
  }

  Deployer deployer(DeployerConfig config) {
    return new Deployer(
        engine,
        store,
        sink,
        probe,
        image ->
            image.startsWith("registry.local:5000/")
                ? Optional.of(new Credential("registry.local:5000", "ci", "s3cret"))
                : Optional.empty(),
        () -> history.read(),
        config,
        Clock.systemUTC(),
        BOX);
  }

  static DeploySpec spec(String image) {
    return spec(image, Strategy.BLUE_GREEN);
  }

  static DeploySpec spec(String image, Strategy strategy) {
    return new DeploySpec(
        APP,
        image,
        strategy,
        8080,
        Map.of("TOKEN", SEALED_TOKEN),
        null,
        new DeploySpec.Resources(1.5, "256m"),
        List.of("data:/var/lib/shop"),
        List.of("serve", "--port", "8080"),
        Map.of("team", "shop"),
        null);
  }

  String deploy(String id, DeploySpec spec) {
    deployer.run(new DeployRequested(id, APP, spec, null, Instant.now()));
    return id;
  }

  AppRecord app() {
    return store.apps.get(APP);
  }

  // ---- blue-green ----

  @Test
  @DisplayName("a first deploy runs one labelled, limited container, records it and routes to it")
  void firstDeploy() {
    deploy("d1", spec("shop:1"));

    assertThat(sink.steps("d1")).containsExactly(FIRST_BLUE_GREEN_STEPS);
    ContainerInfo c = engine.running(APP).getFirst();
    assertThat(engine.ofApp(APP)).hasSize(1);
    assertThat(c.name()).isEqualTo("slipway-shop-1-blue");
    assertThat(c.labels())
        .containsEntry(Labels.MANAGED, "true")
        .containsEntry(Labels.APP, APP)
        .containsEntry(Labels.DEPLOYMENT, "d1")
        .containsEntry(Labels.REVISION, "1")
        .containsEntry(Labels.COLOR, "blue")
        .containsEntry(Labels.ROLE, "web")
        .containsEntry("team", "shop");
    var created = engine.specs.get(c.id());
    assertThat(created.nanoCpus()).isEqualTo(1_500_000_000L);
    assertThat(created.memoryBytes()).isEqualTo(256L << 20);
    assertThat(created.volumes()).containsExactly("data:/var/lib/shop");
    assertThat(created.command()).containsExactly("serve", "--port", "8080");
    assertThat(created.env()).containsEntry("TOKEN", "secret-value");
    assertThat(created.toString()).doesNotContain("secret-value");

    AppRecord app = app();
    String upstream = "127.0.0.1:" + c.hostPort(8080);
    assertThat(app.liveContainer()).isEqualTo(c.id());
    assertThat(app.liveColor()).isEqualTo(Color.BLUE);
    assertThat(app.liveRevision()).isEqualTo(1);
    assertThat(app.upstream()).isEqualTo(upstream);
    assertThat(app.deploying()).isNull();
    assertThat(store.routes).containsEntry(APP, upstream);
    assertThat(store.status("d1")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
    assertThat(store.revisions.get(APP)).containsOnlyKeys(1L);
    DeploySucceeded succeeded = sink.of(DeploySucceeded.class).getFirst();
    assertThat(succeeded.spec()).isEqualTo(spec("shop:1"));
    assertThat(succeeded.upstream()).isEqualTo(upstream);
    assertThat(app.toString()).doesNotContain("secret-value");
  }

  @Test
  @DisplayName(
      "the health gate probes a new container as soon as it started, and a passing probe passes"
          + " it without another look at the engine")
  void gateProbesAtOnce() {
    deployer =
        deployer(
            new DeployerConfig(
                CONFIG.drainTimeout(),
                CONFIG.drainGrace(),
                CONFIG.stopTimeout(),
                CONFIG.rollbackWindow(),
                CONFIG.deployTimeout(),
                CONFIG.stepTimeout(),
                CONFIG.pullTimeout(),
                CONFIG.healthPath(),
                Duration.ofSeconds(30),
                CONFIG.healthTimeout(),
                1,
                CONFIG.unhealthyThreshold(),
                CONFIG.selfHeal(),
                CONFIG.concurrency()));
    long start = System.nanoTime();
    deploy("d1", spec("shop:1"));

    // A first probe that waited an interval would have taken 30 s.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(store.status("d1")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
    assertThat(probe.probes.get()).isEqualTo(1);
    String id = app().liveContainer();
    // Once after the start, for the published port; the passing probe needs no second look.
    assertThat(engine.inspected.stream().filter(id::equals)).hasSize(1);
  }

  @Test
  @DisplayName(
      "watching a new revision after the switch asks the engine nothing while its probes pass")
  void watchProbesWithoutEngine() {
    deploy("d1", spec("shop:1"));
    int probesBefore = probe.probes.get();
    deploy("d2", spec("shop:2"));

    String id = app().liveContainer();
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
    // The rollback window (300 ms) at the 20 ms interval: several probes after the gate's one.
    assertThat(probe.probes.get() - probesBefore).isGreaterThan(3);
    assertThat(engine.inspected.stream().filter(id::equals)).hasSize(1);
  }

  @Test
  @DisplayName(
      "phase events go out in order while the steps run on; the revision goes live only once the"
          + " broker acknowledged every earlier phase")
  void phaseReportsDoNotHoldSteps() throws Exception {
    Promise<Void> createAcked = Promise.promise();
    sink.held.put("create", createAcked);
    Thread deploying = Thread.ofVirtual().start(() -> deploy("d1", spec("shop:1")));

    // The container is started and probed while the create phase is still unacknowledged.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> engine.calls.stream().anyMatch(c -> c.startsWith("start ")));
    await().atMost(Duration.ofSeconds(5)).until(() -> probe.probes.get() > 0);
    // Later phases wait their turn behind it, and the commit point waits for them all.
    await()
        .during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(1))
        .until(
            () ->
                sink.steps("d1").equals(List.of("DeployStarted", "validate", "pull", "create"))
                    && (app() == null || app().liveDeployment() == null));
    createAcked.complete();
    deploying.join(Duration.ofSeconds(5));

    assertThat(store.status("d1")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
    assertThat(sink.steps("d1")).containsExactly(FIRST_BLUE_GREEN_STEPS);
  }

  @Test
  @DisplayName(
      "the container is created while the broker has not yet acknowledged DeployStarted; the"
          + " revision goes live only after it did")
  void startedEventDoesNotHoldCreate() throws Exception {
    Promise<Void> startedAcked = Promise.promise();
    sink.held.put("DeployStarted", startedAcked);
    Thread deploying = Thread.ofVirtual().start(() -> deploy("d1", spec("shop:1")));

    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> engine.calls.contains("create slipway-shop-1-blue"));
    await()
        .during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(1))
        .until(
            () ->
                sink.steps("d1").equals(List.of("DeployStarted"))
                    && (app() == null || app().liveDeployment() == null));
    startedAcked.complete();
    deploying.join(Duration.ofSeconds(5));

    assertThat(store.status("d1")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
    assertThat(sink.steps("d1")).startsWith("DeployStarted", "validate", "pull", "create");
  }

  @Test
  @DisplayName(
      "a phase event the broker refuses fails the deployment before it goes live, as it did when"
          + " each phase waited")
  void refusedPhaseEventFailsDeploy() {
    Promise<Void> refused = Promise.promise();
    refused.fail("broker unavailable");
    sink.held.put("start", refused);
    deploy("d1", spec("shop:1"));

    assertThat(store.status("d1")).isEqualTo(DeploymentHash.STATUS_FAILED);
    assertThat(engine.ofApp(APP)).isEmpty();
    assertThat(app() == null || app().liveContainer() == null).isTrue();
    assertThat(sink.of(DeployFailed.class)).hasSize(1);
  }

  @Test
  @DisplayName("the new revision is recorded live before the old container is touched")
  void recordBeforeTouchingOld() {
    deploy("d1", spec("shop:1"));
    String old = app().liveContainer();
    engine.calls.clear();
    deploy("d2", spec("shop:2"));

    assertThat(app().liveRevision()).isEqualTo(2);
    assertThat(app().liveColor()).isEqualTo(Color.GREEN);
    assertThat(engine.containers).doesNotContainKey(old);
    int stopOld = engine.calls.indexOf("stop " + old);
    assertThat(stopOld).isPositive();
    // Everything before the switch is on the new container only.
    assertThat(engine.calls.subList(0, stopOld)).noneMatch(call -> call.endsWith(old));
    List<String> steps = sink.steps("d2");
    assertThat(steps.indexOf("DeploySucceeded")).isLessThan(steps.indexOf("switch"));
    assertThat(steps).containsSubsequence("switch", "drain", "remove_old");
  }

  @Test
  @DisplayName(
      "the old container drains until every edge serves the new routes and has nothing in flight to it")
  void drainWaitsForEdges() throws Exception {
    deploy("d1", spec("shop:1"));
    String old = app().liveContainer();
    String oldUpstream = app().upstream();
    store.edges.add(new EdgeReport("edge-a", 1, Map.of(oldUpstream, 2L)));
    Thread deploying = Thread.ofVirtual().start(() -> deploy("d2", spec("shop:2")));

    await().atMost(Duration.ofSeconds(5)).until(() -> sink.steps("d2").contains("drain"));
    long switched = store.version;
    // Still serving the old routes, then caught up but with requests in flight: old stays.
    await()
        .during(Duration.ofMillis(150))
        .atMost(Duration.ofSeconds(1))
        .until(() -> engine.get(old).running());
    store.edges.set(0, new EdgeReport("edge-a", switched, Map.of(oldUpstream, 1L)));
    await()
        .during(Duration.ofMillis(150))
        .atMost(Duration.ofSeconds(1))
        .until(() -> engine.get(old).running());
    store.edges.set(0, new EdgeReport("edge-a", switched, Map.of(oldUpstream, 0L)));
    deploying.join(Duration.ofSeconds(5));

    assertThat(engine.containers).doesNotContainKey(old);
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
  }

  @Test
  @DisplayName("a drain that never finishes ends at the drain timeout and the old container goes")
  void drainTimeout() {
    deploy("d1", spec("shop:1"));
    String old = app().liveContainer();
    store.edges.add(new EdgeReport("stuck", 0, Map.of(app().upstream(), 5L)));
    long start = System.nanoTime();
    deploy("d2", spec("shop:2"));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(CONFIG.drainTimeout());
    assertThat(engine.containers).doesNotContainKey(old);
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
  }

  @Test
  @DisplayName("an image missing locally is pulled with the credential stored for its registry")
  void pullWithCredential() {
    String image = "registry.local:5000/shop:4";
    probe.healthyImages.add(image);
    deploy("d1", spec(image));

    assertThat(engine.pulls).containsExactly(image);
    assertThat(engine.pullCredentials).extracting(Credential::username).containsExactly("ci");
    assertThat(store.status("d1")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
  }

  // ---- failures before the switch ----

  @Test
  @DisplayName("a failed health check removes the new container and leaves the live app untouched")
  void healthTimeout() {
    deploy("d1", spec("shop:1"));
    AppRecord before = app();
    String route = store.routes.get(APP);
    deploy("d2", spec("shop:broken"));

    assertThat(engine.ofApp(APP))
        .extracting(ContainerInfo::id)
        .containsExactly(before.liveContainer());
    assertThat(app()).isEqualTo(Fakes.Store.with(before, null));
    assertThat(store.routes).containsEntry(APP, route);
    DeployFailed failed = sink.of(DeployFailed.class).getFirst();
    assertThat(failed.deploymentId()).isEqualTo("d2");
    assertThat(failed.reason()).isEqualTo(DeployFailure.HEALTH_TIMEOUT);
    assertThat(failed.phase()).isEqualTo(DeployPhase.HEALTH_GATE);
    assertThat(failed.message()).contains("GET /up", "HTTP 404", "port 8080", "health.path");
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_FAILED);
    assertThat(sink.steps("d2")).doesNotContain("DeploySucceeded", "switch");
  }

  @Test
  @DisplayName("a container that exits during the health gate fails the deploy as container_exited")
  void containerExits() {
    engine.crashing.add("shop:2");
    deploy("d1", spec("shop:2"));

    assertThat(sink.of(DeployFailed.class).getFirst().reason())
        .isEqualTo(DeployFailure.CONTAINER_EXITED);
    assertThat(engine.ofApp(APP)).isEmpty();
    assertThat(app()).as("nothing ever went live: no app state").isNull();
    assertThat(store.appSet).doesNotContain(APP);
  }

  @Test
  @DisplayName("engine errors are reported with the step's reason and the engine's words")
  void engineErrors() {
    engine.failCreate = "Conflict. The container name is already in use";
    deploy("d1", spec("shop:1"));
    DeployFailed create = sink.of(DeployFailed.class).getFirst();
    assertThat(create.reason()).isEqualTo(DeployFailure.CREATE_FAILED);
    assertThat(create.phase()).isEqualTo(DeployPhase.CREATE);
    assertThat(create.message()).contains("already in use");

    engine.failCreate = null;
    engine.failPull = "pull access denied for nope, repository does not exist";
    deploy("d2", spec("nope:1"));
    DeployFailed pull = sink.of(DeployFailed.class).get(1);
    assertThat(pull.reason()).isEqualTo(DeployFailure.IMAGE_PULL_FAILED);
    assertThat(pull.message()).contains("pull access denied");
  }

  @Test
  @DisplayName("a spec with a host path volume or a bad env name is refused before anything runs")
  void invalidSpec() {
    DeploySpec bad =
        new DeploySpec(
            APP,
            "shop:1",
            Strategy.BLUE_GREEN,
            8080,
            Map.of("BAD NAME", "x"),
            null,
            null,
            List.of("/etc:/host-etc"),
            List.of(),
            Map.of(),
            null);
    deploy("d1", bad);

    DeployFailed failed = sink.of(DeployFailed.class).getFirst();
    assertThat(failed.reason()).isEqualTo(DeployFailure.INVALID_SPEC);
    assertThat(failed.phase()).isEqualTo(DeployPhase.VALIDATE);
    assertThat(failed.message()).contains("/etc:/host-etc", "BAD NAME");
    assertThat(engine.calls).isEmpty();
  }

  @Test
  @DisplayName(
      "an env value sealed with another key fails the deployment in validate with a reason naming"
          + " the variable and SLIPWAY_SECRET_KEY, never the value, and the live app is untouched")
  void envSealedWithAnotherKey() {
    deploy("d1", spec("shop:1", Strategy.RECREATE));
    AppRecord before = app();
    engine.calls.clear();
    DeploySpec foreign =
        spec("shop:2", Strategy.RECREATE)
            .withEnv(Map.of("MODE", SealedEnv.seal(box(6), "canary-mode-value")));
    deploy("d2", foreign);

    DeployFailed failed = sink.of(DeployFailed.class).getFirst();
    assertThat(failed.reason()).isEqualTo(DeployFailure.ENV_UNREADABLE);
    assertThat(failed.phase()).isEqualTo(DeployPhase.VALIDATE);
    assertThat(failed.message())
        .startsWith(
            "env MODE cannot be decrypted: SLIPWAY_SECRET_KEY differs from the one that sealed it")
        .doesNotContain("canary-mode-value")
        .doesNotContain(foreign.env().get("MODE"));
    assertThat(engine.calls).as("nothing stopped, created or started").isEmpty();
    assertThat(app().liveContainer()).isEqualTo(before.liveContainer());
    assertThat(engine.get(before.liveContainer()).running()).isTrue();
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_FAILED);
  }

  @Test
  @DisplayName(
      "a rollback recreates the earlier revision with its recorded sealed env, opened for the"
          + " container only; a plain value from a program other than the gateway passes as is")
  void rollbackOpensRecordedEnv() {
    deploy("d1", spec("shop:1").withEnv(Map.of("MODE", SealedEnv.seal(BOX, "one"), "PLAIN", "p")));
    deploy("d2", spec("shop:2").withEnv(Map.of("MODE", SealedEnv.seal(BOX, "two"))));
    assertThat(engine.specs.get(app().liveContainer()).env()).isEqualTo(Map.of("MODE", "two"));
    assertThat(store.revisions.get(APP).get(1L).spec().env().get("MODE"))
        .startsWith(SealedEnv.PREFIX);

    deployer.run(new RollbackRequested("r1", APP, 1L, Instant.now()));

    assertThat(store.status("r1")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
    assertThat(engine.specs.get(app().liveContainer()).env())
        .isEqualTo(Map.of("MODE", "one", "PLAIN", "p"));
    assertThat(app().spec().env().get("MODE")).startsWith(SealedEnv.PREFIX);
  }

  @Test
  @DisplayName("a deployment id that already ended is not run again")
  void idempotent() {
    deploy("d1", spec("shop:1"));
    int events = sink.events.size();
    deploy("d1", spec("shop:2"));

    assertThat(sink.events).hasSize(events);
    assertThat(app().spec().image()).isEqualTo("shop:1");
  }

  @Test
  @DisplayName("a command with an app name that cannot be a DNS label is skipped, not retried")
  void invalidNames() {
    DeploySpec spec =
        SampleEvents.minimalSpec("Bad:App", "shop:1", Strategy.BLUE_GREEN, 8080, null);
    deployer.run(new DeployRequested("d1", "Bad:App", spec, null, Instant.now()));
    deployer.run(new RemoveRequested("bad:id", APP, Instant.now()));

    assertThat(sink.events).isEmpty();
    assertThat(engine.calls).isEmpty();
  }

  // ---- after the switch ----

  @Test
  @DisplayName(
      "a new revision that fails its health within the window after the switch is rolled back to the old container")
  void rollbackAfterSwitch() {
    DeployerConfig longWindow =
        new DeployerConfig(
            CONFIG.drainTimeout(),
            CONFIG.drainGrace(),
            CONFIG.stopTimeout(),
            Duration.ofSeconds(5),
            CONFIG.deployTimeout(),
            CONFIG.stepTimeout(),
            CONFIG.pullTimeout(),
            CONFIG.healthPath(),
            CONFIG.healthInterval(),
            CONFIG.healthTimeout(),
            1,
            3,
            true,
            2);
    deployer = deployer(longWindow);
    deploy("d1", spec("shop:1"));
    AppRecord before = app();
    Thread deploying = Thread.ofVirtual().start(() -> deploy("d2", spec("shop:2")));
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.steps("d2").contains("drain"));
    probe.healthyImages.remove("shop:2");
    await().atMost(Duration.ofSeconds(5)).until(() -> !deploying.isAlive());

    assertThat(store.routes).containsEntry(APP, before.upstream());
    assertThat(app().liveContainer()).isEqualTo(before.liveContainer());
    assertThat(app().liveRevision()).isEqualTo(1);
    assertThat(app().lastRevision()).isEqualTo(2);
    assertThat(engine.ofApp(APP))
        .extracting(ContainerInfo::id)
        .containsExactly(before.liveContainer());
    DeployRolledBack rolledBack = sink.of(DeployRolledBack.class).getFirst();
    assertThat(rolledBack.fromRevision()).isEqualTo(2);
    assertThat(rolledBack.toRevision()).isEqualTo(1);
    assertThat(rolledBack.reason()).contains("failed its health check after the switch");
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_ROLLED_BACK);
  }

  // ---- recreate ----

  @Test
  @DisplayName("a recreate that fails starts the old container again")
  void recreateFailureRestartsOld() {
    deploy("d1", spec("shop:1", Strategy.RECREATE));
    String old = app().liveContainer();
    deploy("d2", spec("shop:broken", Strategy.RECREATE));

    assertThat(sink.steps("d2")).containsSubsequence("pull", "drain", "create");
    assertThat(engine.get(old).running()).isTrue();
    assertThat(store.routes).containsEntry(APP, "127.0.0.1:" + engine.get(old).hostPort(8080));
    assertThat(app().upstream()).isEqualTo(store.routes.get(APP));
    assertThat(engine.ofApp(APP)).hasSize(1);
  }

  // ---- rollback ----

  @Test
  @DisplayName("a rollback to a named revision runs that revision's spec under its number")
  void rollbackToNamedRevision() {
    deploy("d1", spec("shop:1"));
    deploy("d2", spec("shop:2"));
    deploy("d3", spec("shop:3"));
    deployer.run(new RollbackRequested("r1", APP, 1L, Instant.now()));

    assertThat(app().liveRevision()).isEqualTo(1);
    assertThat(app().spec().image()).isEqualTo("shop:1");
    assertThat(app().lastRevision()).isEqualTo(3);
    assertThat(engine.running(APP))
        .singleElement()
        .satisfies(c -> assertThat(c.name()).isEqualTo("slipway-shop-1-green"));
    assertThat(sink.steps("r1")).contains("DeployRolledBack").doesNotContain("DeploySucceeded");

    // The next deploy gets a new number, past every one recorded.
    deploy("d4", spec("shop:2"));
    assertThat(app().liveRevision()).isEqualTo(4);
  }

  @Test
  @DisplayName(
      "a rollback without an earlier revision, or to one not kept, fails and says what exists")
  void rollbackRefused() {
    deployer.run(new RollbackRequested("r0", APP, null, Instant.now()));
    assertThat(sink.of(DeployFailed.class).getLast().reason())
        .isEqualTo(DeployFailure.NOTHING_TO_ROLL_BACK);

    deploy("d1", spec("shop:1"));
    deployer.run(new RollbackRequested("r1", APP, null, Instant.now()));
    assertThat(sink.of(DeployFailed.class).getLast().reason())
        .isEqualTo(DeployFailure.NOTHING_TO_ROLL_BACK);
    deployer.run(new RollbackRequested("r2", APP, 7L, Instant.now()));
    DeployFailed missing = sink.of(DeployFailed.class).getLast();
    assertThat(missing.reason()).isEqualTo(DeployFailure.REVISION_NOT_FOUND);
    assertThat(missing.message()).contains("[1]");
    assertThat(app().liveRevision()).isEqualTo(1);
  }

  // ---- removal, self-heal ----

  @Test
  @DisplayName("removing an app takes its route first, then its containers and state")
  void remove() {
    deploy("d1", spec("shop:1"));
    deployer.run(new RemoveRequested("x1", APP, Instant.now()));

    assertThat(store.routes).doesNotContainKey(APP);
    assertThat(engine.ofApp(APP)).isEmpty();
    assertThat(app()).isNull();
    assertThat(store.appSet).doesNotContain(APP);
    assertThat(sink.steps("x1")).containsExactly("switch", "drain", "remove_old", "AppRemoved");
    assertThat(store.status("x1")).isEqualTo(DeploymentHash.STATUS_REMOVED);
  }

  @Test
  @DisplayName("a reconcile restarts a stopped live container and routes to its new port")
  void reconcileRestartsStopped() {
    deploy("d1", spec("shop:1"));
    String live = app().liveContainer();
    engine.stop(live, Duration.ZERO);
    deployer.run(new ReconcileRequested(APP, "stopped", Instant.now()));

    assertThat(engine.get(live).running()).isTrue();
    String upstream = "127.0.0.1:" + engine.get(live).hostPort(8080);
    assertThat(store.routes).containsEntry(APP, upstream);
    assertThat(app().upstream()).isEqualTo(upstream);
    assertThat(app().liveContainer()).isEqualTo(live);
  }

  @Test
  @DisplayName("a reconcile of a healthy app changes nothing and reports nothing")
  void reconcileNoop() {
    deploy("d1", spec("shop:1"));
    int events = sink.events.size();
    engine.calls.clear();
    deployer.run(new ReconcileRequested(APP, "unexpected", Instant.now()));

    assertThat(sink.events).hasSize(events);
    assertThat(engine.calls).isEmpty();
  }

  // ---- recovery ----

  @Test
  @DisplayName(
      "at start, a deployment killed before its commit point is reported failed and its container removed")
  void recoverBeforeCommit() {
    deploy("d1", spec("shop:1"));
    AppRecord live = app();
    // What a deployer killed in the health gate leaves: the app deploying, a new container.
    store.begin(
        new AppStore.Start(
            "d2",
            APP,
            DeploymentHash.KIND_DEPLOY,
            Strategy.BLUE_GREEN,
            null,
            Instant.now(),
            Instant.now()));
    store.phase("d2", DeployPhase.HEALTH_GATE);
    String abandoned =
        engine.create(
            new dev.slipway.deployer.engine.ContainerEngine.ContainerSpec(
                "slipway-shop-2-green",
                "shop:2",
                Map.of(Labels.MANAGED, "true", Labels.APP, APP, Labels.DEPLOYMENT, "d2"),
                Map.of(),
                List.of(),
                8080,
                List.of(),
                null,
                null));
    engine.start(abandoned);
    String foreign = engine.foreign(APP, "someone-else");

    deployer(CONFIG).recoverAll();

    assertThat(engine.containers).doesNotContainKey(abandoned).containsKey(foreign);
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_FAILED);
    assertThat(store.field("d2", DeploymentHash.REASON)).isEqualTo(DeployFailure.INTERRUPTED);
    DeployFailed failed = sink.of(DeployFailed.class).getLast();
    assertThat(failed.phase()).isEqualTo(DeployPhase.HEALTH_GATE);
    assertThat(app().liveContainer()).isEqualTo(live.liveContainer());
    assertThat(app().deploying()).isNull();
    assertThat(store.routes).containsEntry(APP, live.upstream());
  }

  @Test
  @DisplayName(
      "at start, a deployment killed after its commit point is completed and announced once")
  void recoverAfterCommit() {
    deploy("d1", spec("shop:1"));
    String old = app().liveContainer();
    String oldUpstream = app().upstream();
    // What a deployer killed right after recording leaves: the new revision live in the store,
    // not yet announced nor routed, the old container still running.
    store.begin(
        new AppStore.Start(
            "d2",
            APP,
            DeploymentHash.KIND_DEPLOY,
            Strategy.BLUE_GREEN,
            null,
            Instant.now(),
            Instant.now()));
    String fresh =
        engine.create(
            new dev.slipway.deployer.engine.ContainerEngine.ContainerSpec(
                "slipway-shop-2-green",
                "shop:2",
                Map.of(
                    Labels.MANAGED,
                    "true",
                    Labels.APP,
                    APP,
                    Labels.DEPLOYMENT,
                    "d2",
                    Labels.REVISION,
                    "2"),
                Map.of(),
                List.of(),
                8080,
                List.of(),
                null,
                null));
    engine.start(fresh);
    String upstream = "127.0.0.1:" + engine.get(fresh).hostPort(8080);
    store.commit(
        app().withLive(spec("shop:2"), 2, "d2", Color.GREEN, fresh, upstream, true), null, "d2");
    assertThat(store.routes).containsEntry(APP, oldUpstream);

    deployer(CONFIG).recoverAll();

    assertThat(store.routes).containsEntry(APP, upstream);
    assertThat(engine.containers).doesNotContainKey(old).containsKey(fresh);
    assertThat(store.status("d2")).isEqualTo(DeploymentHash.STATUS_SUCCEEDED);
    assertThat(sink.of(DeploySucceeded.class))
        .filteredOn(s -> s.deploymentId().equals("d2"))
        .hasSize(1);
    assertThat(app().deploying()).isNull();
  }

  @Test
  @DisplayName(
      "at start, an app whose state Redis lost comes back from its deploy events; other installations' containers are left alone")
  void rebuildFromHistory() {
    deploy("d1", spec("shop:1"));
    deploy("d2", spec("shop:2"));
    String live = app().liveContainer();
    List<DeployEvent> published = List.copyOf(sink.events);
    history = () -> DeployHistory.fold(published);
    String foreign = engine.foreign("other-app", "theirs");
    store.apps.clear();
    store.appSet.clear();
    store.revisions.clear();
    store.deployments.clear();
    store.routes.clear();

    deployer(CONFIG).recoverAll();

    AppRecord rebuilt = app();
    assertThat(rebuilt.liveContainer()).isEqualTo(live);
    assertThat(rebuilt.liveRevision()).isEqualTo(2);
    assertThat(rebuilt.spec()).isEqualTo(spec("shop:2"));
    assertThat(store.revisions.get(APP)).containsOnlyKeys(1L, 2L);
    assertThat(store.routes).containsEntry(APP, rebuilt.upstream());
    assertThat(engine.containers).containsKey(foreign);
    assertThat(store.apps).doesNotContainKey("other-app");
  }

  @Test
  @DisplayName(
      "a superseded command is reported failed with the newer deployment's id, and never run")
  void supersededReport() {
    DeployRequested older = new DeployRequested("old", APP, spec("shop:1"), null, Instant.now());
    DeployRequested newer = new DeployRequested("new", APP, spec("shop:2"), null, Instant.now());
    deployer.supersede(older, newer);
    deploy("old", spec("shop:1"));

    assertThat(sink.events)
        .singleElement()
        .isInstanceOfSatisfying(
            DeployFailed.class,
            f -> {
              assertThat(f.reason()).isEqualTo(DeployFailure.SUPERSEDED);
              assertThat(f.message()).contains("new");
            });
    assertThat(store.status("old")).isEqualTo(DeploymentHash.STATUS_SUPERSEDED);
    assertThat(sink.of(DeployStarted.class)).isEmpty();
  }
}
