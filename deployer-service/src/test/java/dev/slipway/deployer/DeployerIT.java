package dev.slipway.deployer;

import static dev.slipway.deployer.Harness.DEADLINE;
import static dev.slipway.deployer.Harness.newId;
import static dev.slipway.deployer.Harness.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployEvent.DeploySucceeded;
import dev.slipway.infra.events.DeploySpec.Strategy;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.testing.BusyboxImages;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
    awaitSteps(
        first,
        "DeployStarted",
        "validate",
        "pull",
        "create",
        "start",
        "health_gate",
        "record",
        "DeploySucceeded",
        "switch",
        "remove_old");
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

  /** The deployment's events, once the recorder has them all. */
  private void awaitSteps(String deploymentId, String... steps) {
    await("events of " + deploymentId)
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(h.stepsOf(deploymentId)).containsExactly(steps));
  }
}
