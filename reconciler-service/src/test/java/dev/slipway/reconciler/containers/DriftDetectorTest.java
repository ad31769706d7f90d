package dev.slipway.reconciler.containers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.ContainerEvent.DriftDetected;
import dev.slipway.infra.events.DriftKind;
import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.reconciler.containers.DriftDetector.Drift;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Drift between an app's desired state and its containers")
class DriftDetectorTest {

  private static final Instant NOW = Instant.parse("2026-02-01T10:00:00Z");

  private static ContainerEntry entry(String id, String app, String state) {
    return ContainerEntry.observed(Fakes.managed(id, app, state), null, null, NOW);
  }

  private static AppState app(String live, String image, boolean selfHeal, boolean inFlight) {
    return new AppState("shop", image, live, "blue", selfHeal, inFlight);
  }

  @Test
  @DisplayName("a running live container with the desired image is no drift")
  void inSync() {
    assertThat(
            DriftDetector.detect(
                app("c1", "web:1", false, false), List.of(entry("c1", "shop", "running"))))
        .isEmpty();
  }

  @Test
  @DisplayName("a live container gone from the engine is missing")
  void missing() {
    ContainerEntry gone = entry("c1", "shop", "running").missing(null, NOW);
    assertThat(DriftDetector.detect(app("c1", "web:1", false, false), List.of(gone)))
        .containsExactly(new Drift(DriftKind.MISSING, "c1", "none", "c1"));
    assertThat(DriftDetector.detect(app("c1", "web:1", false, false), List.of()))
        .containsExactly(new Drift(DriftKind.MISSING, "c1", "none", "c1"));
  }

  @Test
  @DisplayName("a live container that does not run is stopped")
  void stopped() {
    assertThat(
            DriftDetector.detect(
                app("c1", "web:1", false, false), List.of(entry("c1", "shop", "exited"))))
        .containsExactly(new Drift(DriftKind.STOPPED, "running", "exited", "c1"));
  }

  @Test
  @DisplayName("a live container running another image differs; tag defaults are the same image")
  void imageDiffers() {
    assertThat(
            DriftDetector.detect(
                app("c1", "web:2", false, false), List.of(entry("c1", "shop", "running"))))
        .containsExactly(new Drift(DriftKind.IMAGE_DIFFERS, "web:2", "web:1", "c1"));
    assertThat(DriftDetector.normalize("docker.io/library/web")).isEqualTo("web:latest");
    assertThat(DriftDetector.normalize("registry:5000/team/web"))
        .isEqualTo("registry:5000/team/web:latest");
    assertThat(
            DriftDetector.detect(
                app("c1", "sha256:" + "a".repeat(64), false, false),
                List.of(entry("c1", "shop", "running"))))
        .as("the desired image given by id")
        .isEmpty();
  }

  @Test
  @DisplayName("another container of the app is unexpected; a short live id still finds its own")
  void unexpected() {
    String live = "0123456789abcdef";
    List<ContainerEntry> containers =
        List.of(
            entry(live, "shop", "running"),
            entry("ffff", "shop", "running"),
            entry("old", "shop", "missing").missing(null, NOW));

    assertThat(DriftDetector.detect(app("0123456789ab", "web:1", false, false), containers))
        .containsExactly(new Drift(DriftKind.UNEXPECTED, "0123456789ab", "slipway-ffff", "ffff"));
  }

  @Test
  @DisplayName("an app with a deploy in flight is left alone")
  void deployInFlight() {
    assertThat(
            DriftDetector.detect(
                app("c1", "web:2", true, true),
                List.of(entry("c2", "shop", "running"), entry("c3", "shop", "created"))))
        .isEmpty();
  }

  @Test
  @DisplayName("a drift is reported once until it clears, and again when it comes back")
  void reportedOnce() {
    Fakes.Desired desired = new Fakes.Desired();
    Fakes.Sink sink = new Fakes.Sink();
    Fakes.Store store = new Fakes.Store();
    List<ContainerEntry> containers = new ArrayList<>(List.of(entry("c1", "shop", "exited")));
    DriftDetector detector = new DriftDetector(desired, sink, store, () -> containers);
    desired.put(app("c1", "web:1", false, false));

    detector.checkAll();
    detector.checkAll();
    detector.checkApp("shop");

    assertThat(sink.of(DriftDetected.class))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.app()).isEqualTo("shop");
              assertThat(d.kind()).isEqualTo(DriftKind.STOPPED);
              assertThat(d.expected()).isEqualTo("running");
              assertThat(d.found()).isEqualTo("exited");
              assertThat(d.containerId()).isEqualTo("c1");
            });
    assertThat(store.feed)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f).containsEntry(ContainerHash.Feed.DRIFT, "stopped");
              assertThat(f).containsEntry(ContainerHash.Feed.APP, "shop");
            });
    assertThat(sink.commands).as("self-heal is off").isEmpty();

    containers.set(0, entry("c1", "shop", "running"));
    detector.checkAll();
    containers.set(0, entry("c1", "shop", "exited"));
    detector.checkAll();

    assertThat(sink.of(DriftDetected.class)).hasSize(2);
  }

  @Test
  @DisplayName("with self-heal on, each new drift also asks the deployer to reconcile the app")
  void selfHeal() {
    Fakes.Desired desired = new Fakes.Desired();
    Fakes.Sink sink = new Fakes.Sink();
    DriftDetector detector =
        new DriftDetector(
            desired,
            sink,
            new Fakes.Store(),
            () -> List.of(entry("c1", "shop", "running"), entry("c9", "shop", "running")));
    desired.put(app("c1", "web:2", true, false));

    detector.checkAll();
    detector.checkAll();

    assertThat(sink.of(DriftDetected.class))
        .extracting(DriftDetected::kind)
        .containsExactly(DriftKind.IMAGE_DIFFERS, DriftKind.UNEXPECTED);
    assertThat(sink.commands)
        .hasSize(2)
        .allSatisfy(c -> assertThat(c.app()).isEqualTo("shop"))
        .extracting(c -> c.reason())
        .containsExactly(
            "image_differs: expected web:2, found web:1 (container c1)",
            "unexpected: expected c1, found slipway-c9 (container c9)");
  }

  @Test
  @DisplayName("a drift whose event could not be published is reported again on the next check")
  void publishFailure() {
    Fakes.Desired desired = new Fakes.Desired();
    Fakes.Sink sink = new Fakes.Sink();
    DriftDetector detector = new DriftDetector(desired, sink, new Fakes.Store(), () -> List.of());
    desired.put(app("c1", "web:1", false, false));

    sink.failing = true;
    detector.checkAll();
    sink.failing = false;
    detector.checkAll();

    assertThat(sink.of(DriftDetected.class))
        .extracting(DriftDetected::kind)
        .containsExactly(DriftKind.MISSING);
  }
}
