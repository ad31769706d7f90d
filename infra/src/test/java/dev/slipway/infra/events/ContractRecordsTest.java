package dev.slipway.infra.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slipway.infra.events.BuildEvent.BuildQueued;
import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeploySpec.HealthSpec;
import dev.slipway.infra.events.DeploySpec.Resources;
import dev.slipway.infra.events.DeploySpec.Strategy;
import dev.slipway.infra.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ContractRecordsTest {

  private static final Instant AT = SampleEvents.T0;

  @Test
  @DisplayName("enums travel as lowercase words, and the strategy as blue-green / recreate")
  void enumWireNames() {
    assertEquals("\"blue-green\"", Json.toString(Strategy.BLUE_GREEN));
    assertEquals("\"health_gate\"", Json.toString(DeployPhase.HEALTH_GATE));
    assertEquals("\"ref_not_found\"", Json.toString(BuildFailureReason.REF_NOT_FOUND));
    assertEquals(Strategy.RECREATE, Strategy.of("recreate"));
    assertEquals(DriftKind.IMAGE_DIFFERS, DriftKind.of("image_differs"));
    assertEquals(Color.GREEN, Color.BLUE.other());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Strategy.of("BLUE_GREEN"));
    assertTrue(e.getMessage().contains("blue-green, recreate"), e.getMessage());
  }

  @Test
  @DisplayName("a record keeps its own copy of the lists and maps it was built from")
  void defensiveCopies() {
    List<String> tags = new ArrayList<>(List.of("1.0"));
    BuildQueued queued = new BuildQueued("b1", "https://h/r.git", null, "img", tags, AT);
    tags.add("latest");

    assertEquals(List.of("1.0"), queued.tags());
    assertThrows(UnsupportedOperationException.class, () -> queued.tags().add("x"));
    assertEquals(List.of(), new BuildQueued("b1", "https://h/r.git", null, "img", null, AT).tags());

    Map<String, String> env = new HashMap<>(Map.of("A", "1"));
    DeploySpec spec =
        new DeploySpec(
            "app", "img", Strategy.RECREATE, null, env, null, null, null, null, null, null);
    env.put("B", "2");
    assertEquals(Map.of("A", "1"), spec.env());
    assertEquals(List.of(), spec.volumes());
    assertEquals(Map.of(), spec.labels());
  }

  @Test
  @DisplayName("a minimal deploy spec round-trips, with absent fields left out of the JSON")
  void minimalSpecJson() {
    DeploySpec spec =
        new DeploySpec(
            "app", "nginx:1.27", Strategy.RECREATE, null, null, null, null, null, null, null, null);
    String json = Json.toString(spec);

    assertFalse(json.contains("null"), json);
    assertTrue(json.contains("\"strategy\":\"recreate\""), json);
    assertEquals(spec, Json.fromBytes(json.getBytes(), DeploySpec.class));
  }

  @Test
  @DisplayName("Compose-style durations parse to the time they spell, and nonsense is refused")
  void durations() {
    assertEquals(Duration.ofMillis(500), HealthSpec.parseDuration("500ms"));
    assertEquals(Duration.ofSeconds(30), HealthSpec.parseDuration("30s"));
    assertEquals(Duration.ofSeconds(90), HealthSpec.parseDuration("1m30s"));
    assertEquals(Duration.ofMillis(1500), HealthSpec.parseDuration("1.5s"));
    assertEquals(Duration.ofHours(2), HealthSpec.parseDuration("2h"));
    for (String bad : List.of("30", "s", "-5s", "5 s", "1d", "")) {
      assertThrows(IllegalArgumentException.class, () -> HealthSpec.parseDuration(bad), bad);
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> new HealthSpec("/health", "soon", null, null, null, null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new HealthSpec("health", null, null, null, null, null));
  }

  @Test
  @DisplayName("memory limits convert to bytes in powers of 1024; bad limits are refused")
  void memory() {
    assertEquals(512L << 20, new Resources(null, "512m").memoryBytes());
    assertEquals(3L << 29, new Resources(null, "1.5g").memoryBytes());
    assertEquals(1L << 30, new Resources(null, "1GB").memoryBytes());
    assertEquals(4096L, new Resources(null, "4096").memoryBytes());
    assertNull(new Resources(1.0, null).memoryBytes());
    assertThrows(IllegalArgumentException.class, () -> new Resources(null, "lots"));
    assertThrows(IllegalArgumentException.class, () -> new Resources(0.0, null));
  }

  @Test
  @DisplayName("a deploy spec cannot set Slipway's own labels")
  void reservedLabels() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new DeploySpec(
                    "app",
                    "img",
                    Strategy.RECREATE,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    Map.of("dev.slipway.managed", "false"),
                    null));
    assertTrue(e.getMessage().contains("dev.slipway.managed"), e.getMessage());
  }

  @Test
  @DisplayName("a deploy request for one app cannot carry another app's spec")
  void deploySpecAppMatches() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new DeployRequested("d1", "other-app", SampleEvents.SPEC, null, AT));
  }

  @Test
  @DisplayName("a log batch holds at least one line, numbered from 1 without gaps")
  void logBatchSequence() {
    LogLine one = new LogLine(1, AT, LogStream.STDOUT, "a");
    LogLine two = new LogLine(2, AT, LogStream.STDOUT, "b");
    LogLine four = new LogLine(4, AT, LogStream.STDOUT, "d");

    BuildLogBatch batch = new BuildLogBatch("b1", List.of(one, two));
    assertEquals(1, batch.firstSeq());
    assertEquals(2, batch.lastSeq());
    assertThrows(IllegalArgumentException.class, () -> new BuildLogBatch("b1", List.of(two, four)));
    assertThrows(IllegalArgumentException.class, () -> new BuildLogBatch("b1", List.of()));
    assertThrows(IllegalArgumentException.class, () -> new LogLine(0, AT, LogStream.SYSTEM, "x"));
  }

  @Test
  @DisplayName("each event names its Kafka key; an unmanaged container is keyed by its id")
  void keys() {
    assertEquals(SampleEvents.BUILD_ID, SampleEvents.of(BuildQueued.class).key());
    assertEquals(SampleEvents.APP, SampleEvents.of(DeployRequested.class).key());
    ContainerEvent.ContainerStateChanged unmanaged =
        new ContainerEvent.ContainerStateChanged(
            SampleEvents.CONTAINER_ID,
            null,
            "postgres",
            "running",
            null,
            "postgres:17",
            "start",
            AT);
    assertEquals(SampleEvents.CONTAINER_ID, unmanaged.key());
    assertTrue(SampleEvents.of(BuildEvent.BuildFailed.class).terminal());
    assertFalse(SampleEvents.of(BuildEvent.BuildStarted.class).terminal());
  }

  @Test
  @DisplayName("the name shapes accept real ids and app names and refuse path tricks")
  void names() {
    assertTrue(Names.isValidId("b-01hq3k2v7m9x4c5d"));
    assertTrue(Names.isValidApp("shop-api"));
    assertFalse(Names.isValidId("../etc"));
    assertFalse(Names.isValidId("a:b"));
    assertFalse(Names.isValidApp("Shop_API"));
    assertFalse(Names.isValidApp("-shop"));
    assertFalse(Names.isValidApp("a".repeat(64)));
    assertFalse(Names.isValidApp(null));
  }
}
