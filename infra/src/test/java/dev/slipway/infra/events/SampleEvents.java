package dev.slipway.infra.events;

import dev.slipway.infra.events.BuildCommand.BuildCancelRequested;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.BuildEvent.BuildCancelled;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildPhaseChanged;
import dev.slipway.infra.events.BuildEvent.BuildQueued;
import dev.slipway.infra.events.BuildEvent.BuildStarted;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.ContainerEvent.ContainerHealthChanged;
import dev.slipway.infra.events.ContainerEvent.ContainerMissing;
import dev.slipway.infra.events.ContainerEvent.ContainerStateChanged;
import dev.slipway.infra.events.ContainerEvent.DriftDetected;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import dev.slipway.infra.events.DeployCommand.RollbackRequested;
import dev.slipway.infra.events.DeployEvent.AppRemoved;
import dev.slipway.infra.events.DeployEvent.DeployFailed;
import dev.slipway.infra.events.DeployEvent.DeployPhaseChanged;
import dev.slipway.infra.events.DeployEvent.DeployRolledBack;
import dev.slipway.infra.events.DeployEvent.DeployStarted;
import dev.slipway.infra.events.DeployEvent.DeploySucceeded;
import dev.slipway.infra.events.RegistryCredentialEvent.RegistryCredentialStored;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One realistic sample of every event record, with every optional field set, so a round trip or a
 * schema check covers each field. Tests look samples up by class and fail when one is missing.
 */
public final class SampleEvents {

  public static final Instant T0 = Instant.parse("2026-03-14T09:26:53.589Z");
  public static final String BUILD_ID = "b-01hq3k2v7m9x4c5d";
  public static final String DEPLOYMENT_ID = "d-01hq3k8n2p6t0w1z";
  public static final String APP = "shop-api";
  public static final String CONTAINER_ID =
      "4f9c2a7e1b3d5f6a8c0e2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f0a2c4e6b8d0f1a";
  public static final String COMMIT = "9fceb02d0ae598e95dc970b74767f19372d61af8";
  public static final String IMAGE_ID =
      "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741";
  public static final String DIGEST =
      "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";

  public static final DeploySpec SPEC =
      new DeploySpec(
          APP,
          "registry.local:5000/shop-api:1.4.2",
          DeploySpec.Strategy.BLUE_GREEN,
          8080,
          Map.of("SPRING_PROFILES_ACTIVE", "prod", "JAVA_OPTS", "-Xmx384m"),
          new DeploySpec.HealthSpec("/actuator/health", "500ms", "2s", 3, "10s", "2m"),
          new DeploySpec.Resources(0.5, "512m"),
          List.of("shop-data:/var/lib/shop", "shop-cache:/tmp/cache:ro"),
          List.of("java", "-jar", "/app/app.jar"),
          Map.of("traefik.enable", "false", "com.example.team", "payments"),
          true);

  /** A spec naming only what a deploy must (and env, which may be null): every option left out. */
  public static DeploySpec minimalSpec(
      String app, String image, DeploySpec.Strategy strategy, int port, Map<String, String> env) {
    return new DeploySpec(app, image, strategy, port, env, null, null, null, null, null, null);
  }

  private static final List<SlipwayEvent> ALL =
      List.of(
          new BuildRequested(
              BUILD_ID,
              "https://git.example.com/acme/shop-api.git",
              "release/1.4",
              "services/api",
              "Dockerfile",
              Map.of("JAVA_VERSION", "21", "MAVEN_OPTS", "-Dmaven.repo.local=/cache"),
              "registry.local:5000/shop-api",
              List.of("1.4.2", "latest"),
              true,
              "local-registry",
              "git-token",
              Map.of("org.opencontainers.image.source", "https://git.example.com/acme/shop-api"),
              900,
              SPEC,
              "7c1f0d5e-2b3a-4e8f-9a61-0b2c3d4e5f60",
              T0),
          new BuildCancelRequested(BUILD_ID, "superseded by a newer push", T0.plusSeconds(40)),
          new BuildQueued(
              BUILD_ID,
              "https://git.example.com/acme/shop-api.git",
              "release/1.4",
              "registry.local:5000/shop-api",
              List.of("1.4.2", "latest"),
              T0.plusMillis(120)),
          new BuildStarted(BUILD_ID, "builder-7f9c2a-0", 2, T0.plusMillis(480)),
          new BuildPhaseChanged(BUILD_ID, BuildPhase.BUILD, T0.plusSeconds(3)),
          new BuildSucceeded(
              BUILD_ID,
              COMMIT,
              "registry.local:5000/shop-api",
              IMAGE_ID,
              DIGEST,
              List.of("1.4.2", "latest"),
              SPEC,
              T0.plusMillis(480),
              1250L,
              T0.plusSeconds(95)),
          new BuildFailed(
              BUILD_ID,
              BuildPhase.PUSH,
              BuildFailureReason.PUSH_FAILED,
              "registry.local:5000 refused the push (401 Unauthorized): check the username and"
                  + " token of registry credential 'local-registry'",
              1302L,
              T0.plusSeconds(97)),
          new BuildCancelled(BUILD_ID, BuildPhase.CLONE, 12L, T0.plusSeconds(41)),
          new BuildLogBatch(
              BUILD_ID,
              List.of(
                  new LogLine(41, T0.plusSeconds(5), LogStream.SYSTEM, "building services/api"),
                  new LogLine(42, T0.plusSeconds(6), LogStream.STDOUT, "Step 3/9 : RUN mvn -B"),
                  new LogLine(
                      43, T0.plusSeconds(7), LogStream.STDERR, "[WARNING] deprecated API ✓"))),
          new DeployRequested(DEPLOYMENT_ID, APP, SPEC, BUILD_ID, T0.plusSeconds(96)),
          new RollbackRequested(DEPLOYMENT_ID, APP, 6L, T0.plusSeconds(300)),
          new RemoveRequested(DEPLOYMENT_ID, APP, T0.plusSeconds(600)),
          new ReconcileRequested(
              APP, "container missing: slipway-shop-api-7-green", T0.plusSeconds(700)),
          new DeployStarted(DEPLOYMENT_ID, APP, DeploySpec.Strategy.BLUE_GREEN, T0.plusSeconds(97)),
          new DeployPhaseChanged(DEPLOYMENT_ID, APP, DeployPhase.HEALTH_GATE, T0.plusSeconds(101)),
          new DeploySucceeded(
              DEPLOYMENT_ID,
              APP,
              7,
              Color.GREEN,
              CONTAINER_ID,
              "127.0.0.1:49153",
              SPEC,
              T0.plusSeconds(110)),
          new DeployFailed(
              DEPLOYMENT_ID,
              APP,
              DeployPhase.HEALTH_GATE,
              "health_timeout",
              "GET /actuator/health on port 8080 did not answer 2xx within 2m; the live revision 6"
                  + " keeps serving",
              T0.plusSeconds(221)),
          new DeployRolledBack(
              DEPLOYMENT_ID, APP, 7, 6, "rollback requested by the operator", T0.plusSeconds(310)),
          new AppRemoved(DEPLOYMENT_ID, APP, T0.plusSeconds(610)),
          new ContainerStateChanged(
              CONTAINER_ID,
              APP,
              "slipway-shop-api-7-green",
              "exited",
              "running",
              "registry.local:5000/shop-api:1.4.2",
              "die",
              T0.plusSeconds(650)),
          new ContainerHealthChanged(
              CONTAINER_ID, APP, "unhealthy", "healthy", T0.plusSeconds(640)),
          new ContainerMissing(CONTAINER_ID, APP, T0.plusSeconds(650), T0.plusSeconds(690)),
          new DriftDetected(
              APP,
              DriftKind.IMAGE_DIFFERS,
              "registry.local:5000/shop-api:1.4.2",
              "registry.local:5000/shop-api:1.4.1",
              CONTAINER_ID,
              T0.plusSeconds(695)),
          new RegistryCredentialStored(
              "local-registry",
              "registry.local:5000",
              "ci-bot",
              "q83vEjRWeJCrze8SNFZ4kMHhQm9k1r3zXq2vX0bX2c9m1uZ0Qm3G5w==",
              "k-2026-03",
              T0));

  private static final Map<Class<?>, SlipwayEvent> BY_CLASS =
      ALL.stream()
          .collect(
              Collectors.toMap(
                  Object::getClass, Function.identity(), (a, b) -> a, LinkedHashMap::new));

  private SampleEvents() {}

  /** Every sample, one per event record class. */
  public static List<SlipwayEvent> all() {
    return ALL;
  }

  /** The sample of an event record class; fails the test when there is none. */
  public static <T extends SlipwayEvent> T of(Class<T> eventClass) {
    SlipwayEvent sample = BY_CLASS.get(eventClass);
    if (sample == null) {
      throw new AssertionError(
          "SampleEvents has no sample for "
              + eventClass.getName()
              + ": add one, with every optional field set");
    }
    return eventClass.cast(sample);
  }
}
