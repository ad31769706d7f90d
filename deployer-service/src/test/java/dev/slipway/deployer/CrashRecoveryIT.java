package dev.slipway.deployer;

import static dev.slipway.deployer.Harness.DEADLINE;
import static dev.slipway.deployer.Harness.newId;
import static dev.slipway.deployer.Harness.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Container;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployEvent.DeployFailed;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.DeploySpec.Strategy;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.testing.BusyboxImages;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployer runs as a process of its own ({@code Main}), is killed with SIGKILL in the middle of
 * a blue-green deploy, and a new deployer (in this JVM, through the launcher) starts on the same
 * Redis, Kafka and engine.
 */
@DisplayName("A deployer killed in the middle of a deploy, and the one that starts after it")
class CrashRecoveryIT {

  private static String v1;
  private static String v2;
  private static String broken;

  private Harness h;
  private Process child;

  /** The child JVM's temp dir: what a killed JVM leaves there (Vert.x's file cache) goes too. */
  @TempDir Path childTmp;

  @BeforeAll
  static void images() {
    v1 = BusyboxImages.randomTag();
    BusyboxImages.httpImage(v1, Map.of("up", "ok", "version", "v1"));
    v2 = BusyboxImages.randomTag();
    BusyboxImages.httpImage(v2, Map.of("up", "ok", "version", "v2"));
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
  void setUp() throws Exception {
    h = new Harness();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (child != null && child.isAlive()) {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    h.close();
  }

  @Test
  @DisplayName(
      "killed after the new container started and before the switch: the new deployer removes"
          + " it, reports the deployment failed and keeps the old revision live and routed")
  void killedBeforeTheSwitch() throws Exception {
    String app = h.newApp();
    startChild();
    String first = deploy(app, spec(app, v1, Strategy.BLUE_GREEN));
    assertThat(h.awaitEnded(first)).containsEntry(DeploymentHash.STATUS, "succeeded");
    Map<String, String> live = h.hash(h.keys.app(app));

    // Never healthy, with a long deploy timeout: it sits in the health gate until killed.
    String doomed =
        deploy(
            app,
            spec(
                app,
                broken,
                Strategy.BLUE_GREEN,
                new DeploySpec.HealthSpec(null, "200ms", "1s", null, null, "5m")));
    awaitPhase(doomed, "health_gate");
    String abandoned = runningContainerOf(app, doomed);
    kill();

    assertThat(h.exists(abandoned)).as("the killed deployer left its new container").isTrue();
    assertThat(h.hash(h.keys.app(app))).containsEntry(AppHash.DEPLOYING, doomed);

    h.startDeployer();

    assertThat(h.hash(h.keys.deployment(doomed)))
        .containsEntry(DeploymentHash.STATUS, "failed")
        .containsEntry(DeploymentHash.REASON, "interrupted")
        .containsEntry(DeploymentHash.PHASE, "health_gate");
    assertThat(h.exists(abandoned)).isFalse();
    assertThat(h.containersOf(app))
        .extracting(Container::getId)
        .containsExactly(live.get(AppHash.LIVE_CONTAINER));
    Map<String, String> after = h.hash(h.keys.app(app));
    assertThat(after)
        .containsEntry(AppHash.LIVE_CONTAINER, live.get(AppHash.LIVE_CONTAINER))
        .containsEntry(AppHash.LIVE_COLOR, live.get(AppHash.LIVE_COLOR))
        .containsEntry(AppHash.DEPLOY_IN_FLIGHT, "false")
        .doesNotContainKey(AppHash.DEPLOYING);
    assertThat(h.route(app)).isEqualTo(live.get(AppHash.UPSTREAM));
    assertThat(h.get(app, "/version")).isEqualTo("200 v1");
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(h.eventsOf(doomed).getLast())
                    .isInstanceOfSatisfying(
                        DeployFailed.class,
                        f -> {
                          assertThat(f.reason()).isEqualTo("interrupted");
                          assertThat(f.message()).contains("kept serving");
                        }));
  }

  @Test
  @DisplayName(
      "killed while draining the old container after the switch: the new deployer completes the"
          + " deployment, routes to the new revision and removes the old container")
  void killedWhileDraining() throws Exception {
    String app = h.newApp();
    startChild();
    String first = deploy(app, spec(app, v1, Strategy.BLUE_GREEN));
    assertThat(h.awaitEnded(first)).containsEntry(DeploymentHash.STATUS, "succeeded");
    String old = h.hash(h.keys.app(app)).get(AppHash.LIVE_CONTAINER);

    // An edge router that never catches up holds the drain open (the child drains for a minute).
    String edge = h.keys.edge("stuck-" + newId("edge"));
    h.redis
        .send(Request.cmd(Command.HSET).arg(edge).arg("version").arg(0))
        .compose(v -> h.redis.send(Request.cmd(Command.EXPIRE).arg(edge).arg(60)))
        .await(5, TimeUnit.SECONDS);
    String second = deploy(app, spec(app, v2, Strategy.BLUE_GREEN));
    awaitPhase(second, "drain");
    kill();
    h.redis.send(Request.cmd(Command.DEL).arg(edge)).await(5, TimeUnit.SECONDS);
    assertThat(h.exists(old)).as("the killed deployer left the old container").isTrue();

    h.startDeployer();

    assertThat(h.hash(h.keys.deployment(second))).containsEntry(DeploymentHash.STATUS, "succeeded");
    Map<String, String> after = h.hash(h.keys.app(app));
    assertThat(after)
        .containsEntry(AppHash.LIVE_DEPLOYMENT, second)
        .containsEntry(AppHash.LIVE_REVISION, "2")
        .containsEntry(AppHash.DEPLOY_IN_FLIGHT, "false");
    assertThat(h.exists(old)).isFalse();
    assertThat(h.containersOf(app))
        .extracting(Container::getId)
        .containsExactly(after.get(AppHash.LIVE_CONTAINER));
    assertThat(h.route(app)).isEqualTo(after.get(AppHash.UPSTREAM));
    assertThat(h.get(app, "/version")).isEqualTo("200 v2");
  }

  // ---- helpers ----

  private String deploy(String app, DeploySpec spec) throws Exception {
    String id = newId("d");
    h.send(new DeployRequested(id, app, spec, null, Instant.now()));
    return id;
  }

  private void awaitPhase(String deploymentId, String phase) {
    await("deployment " + deploymentId + " in phase " + phase)
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> h.hash(h.keys.deployment(deploymentId)).get(DeploymentHash.PHASE), phase::equals);
  }

  private String runningContainerOf(String app, String deploymentId) {
    return h.containersOf(app).stream()
        .filter(c -> deploymentId.equals(c.getLabels().get(Labels.DEPLOYMENT)))
        .filter(c -> "running".equals(c.getState()))
        .findFirst()
        .orElseThrow()
        .getId();
  }

  /** Runs {@code dev.slipway.deployer.Main} in a JVM of its own on this test's installation. */
  private void startChild() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command =
        new ArrayList<>(
            List.of(java, "-Xmx256m", "-Djava.io.tmpdir=" + childTmp, "-cp", classpath));
    command.add(Main.class.getName());
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(h.env());
    builder.environment().put(DeployerConfig.DRAIN_TIMEOUT_ENV, "60s");
    builder.environment().put(DeployerConfig.DRAIN_GRACE_ENV, "200ms");
    builder.environment().put(DeployerConfig.STOP_TIMEOUT_ENV, "1s");
    builder.environment().put(DeployerConfig.ROLLBACK_WINDOW_ENV, "600ms");
    builder.environment().put(DeployerConfig.HEALTH_INTERVAL_ENV, "200ms");
    builder.environment().put(DeployerConfig.HEALTH_TIMEOUT_ENV, "1s");
    builder.environment().put(DeployerConfig.STEP_TIMEOUT_ENV, "20s");
    File log = Path.of("target", "crash-child-" + h.topicPrefix + "log").toFile();
    builder.redirectErrorStream(true).redirectOutput(log);
    child = builder.start();
    String health = "http://127.0.0.1:" + h.lastHttpPort() + "/health";
    await("the deployer process answers " + health)
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> !child.isAlive() || h.answers(health));
    assertThat(child.isAlive()).as("deployer process running, see " + log).isTrue();
  }

  /** SIGKILL: no shutdown hook, no cleanup. */
  private void kill() throws Exception {
    child.destroyForcibly();
    assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
  }
}
