package dev.slipway.reconciler.containers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.events.ContainerEvent.ContainerHealthChanged;
import dev.slipway.infra.events.ContainerEvent.ContainerMissing;
import dev.slipway.infra.events.ContainerEvent.ContainerStateChanged;
import dev.slipway.infra.events.EventTypes;
import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.reconciler.containers.DockerEngine.EngineEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A container projection entry and the events of its changes")
class ContainerEntryTest {

  private static final Instant T0 = Instant.parse("2026-02-01T10:00:00Z");
  private static final Instant T1 = Instant.parse("2026-02-01T10:00:05Z");

  private static EngineEvent event(String action, Instant at) {
    return new EngineEvent("c1", action, at);
  }

  @Test
  @DisplayName("an inspected container becomes a hash with every projection field")
  void toHash() {
    ContainerEntry entry =
        ContainerEntry.observed(
            Fakes.managed("c1", "shop", "running"), event("start", T0), null, T1);

    Map<String, String> hash = entry.toHash();

    assertThat(hash)
        .containsEntry(ContainerHash.ID, "c1")
        .containsEntry(ContainerHash.NAME, "slipway-c1")
        .containsEntry(ContainerHash.APP, "shop")
        .containsEntry(ContainerHash.ROLE, "web")
        .containsEntry(ContainerHash.COLOR, "blue")
        .containsEntry(ContainerHash.REVISION, "1")
        .containsEntry(ContainerHash.DEPLOYMENT, "d-1")
        .containsEntry(ContainerHash.IMAGE, "web:1")
        .containsEntry(ContainerHash.IMAGE_ID, "sha256:" + "a".repeat(64))
        .containsEntry(ContainerHash.STATE, "running")
        .containsEntry(ContainerHash.HEALTH, "none")
        .containsEntry(
            ContainerHash.PORTS,
            "[{\"container_port\":8080,\"protocol\":\"tcp\",\"host_ip\":\"127.0.0.1\","
                + "\"host_port\":49153}]")
        .containsEntry(ContainerHash.STARTED_AT, "2026-01-01T00:00:00Z")
        .containsEntry(ContainerHash.RESTART_COUNT, "0")
        .containsEntry(ContainerHash.LAST_EVENT, "start")
        .containsEntry(ContainerHash.LAST_EVENT_AT, T0.toString())
        .containsEntry(ContainerHash.UPDATED_AT, T1.toString())
        .doesNotContainKeys(
            ContainerHash.FINISHED_AT, ContainerHash.EXIT_CODE, ContainerHash.MISSING_SINCE);
    assertThat(ContainerEntry.fromHash("c1", hash)).isEqualTo(entry);
  }

  @Test
  @DisplayName("a gone container's entry turns missing with a time and keeps what it was")
  void missing() {
    ContainerEntry running =
        ContainerEntry.observed(Fakes.managed("c1", "shop", "running"), null, null, T0);

    ContainerEntry gone = running.missing(event("destroy", T1), T1);

    assertThat(gone.toHash())
        .containsEntry(ContainerHash.STATE, ContainerHash.MISSING)
        .containsEntry(ContainerHash.MISSING_SINCE, T1.toString())
        .containsEntry(ContainerHash.PORTS, "[]")
        .containsEntry(ContainerHash.APP, "shop")
        .containsEntry(ContainerHash.LAST_EVENT, "destroy");
  }

  @Test
  @DisplayName("only what an operator sees counts as a change, not bookkeeping")
  void visibleChanges() {
    ContainerEntry before =
        ContainerEntry.observed(
            Fakes.managed("c1", "shop", "running"), event("start", T0), null, T0);
    ContainerEntry sameButLater =
        ContainerEntry.observed(
            Fakes.managed("c1", "shop", "running"), event("attach", T1), before, T1);

    assertThat(sameButLater.visiblyDiffers(before)).isFalse();
    assertThat(sameButLater.sameAs(before)).as("last_event did change").isFalse();
    assertThat(before.withUpdatedAt(T1).sameAs(before)).isTrue();
    assertThat(ContainerChanges.between(before, sameButLater, event("attach", T1), T0, T1))
        .isEmpty();
  }

  @Test
  @DisplayName("a new container is announced with its state and no health event without a check")
  void newContainer() {
    ContainerEntry created =
        ContainerEntry.observed(
            Fakes.managed("c1", "shop", "created"), event("create", T0), null, T0);

    List<ContainerEvent> events =
        ContainerChanges.between(null, created, event("create", T0), null, T0);

    assertThat(events)
        .containsExactly(
            new ContainerStateChanged(
                "c1", "shop", "slipway-c1", "created", null, "web:1", "create", T0));
  }

  @Test
  @DisplayName("a stop is a state change from running with the engine event that caused it")
  void stopped() {
    ContainerEntry running =
        ContainerEntry.observed(Fakes.managed("c1", "shop", "running"), null, null, T0);
    ContainerEntry exited =
        ContainerEntry.observed(
            Fakes.managed("c1", "shop", "exited"), event("die", T1), running, T1);

    assertThat(ContainerChanges.between(running, exited, event("die", T1), T0, T1))
        .containsExactly(
            new ContainerStateChanged(
                "c1", "shop", "slipway-c1", "exited", "running", "web:1", "die", T1));
  }

  @Test
  @DisplayName("a health flip alone is a health event only")
  void health() {
    ContainerSnapshot c = Fakes.managed("c1", "shop", "running");
    ContainerEntry starting =
        ContainerEntry.observed(Fakes.withState(c, "running", "starting"), null, null, T0);
    ContainerEntry healthy =
        ContainerEntry.observed(
            Fakes.withState(c, "running", "healthy"),
            event("health_status: healthy", T1),
            starting,
            T1);

    assertThat(
            ContainerChanges.between(
                starting, healthy, event("health_status: healthy", T1), T0, T1))
        .containsExactly(new ContainerHealthChanged("c1", "shop", "healthy", "starting", T1));
  }

  @Test
  @DisplayName("a restart seen only after the fact still counts as a state change")
  void coalescedRestart() {
    ContainerSnapshot c = Fakes.managed("c1", "shop", "running");
    ContainerEntry before = ContainerEntry.observed(c, null, null, T0);
    ContainerSnapshot restarted =
        new ContainerSnapshot(
            c.id(),
            c.name(),
            c.labels(),
            c.image(),
            c.imageId(),
            "running",
            "none",
            c.ports(),
            T1,
            T1,
            137L,
            1);
    ContainerEntry after = ContainerEntry.observed(restarted, event("start", T1), before, T1);

    assertThat(ContainerChanges.between(before, after, event("start", T1), T0, T1))
        .singleElement()
        .isInstanceOfSatisfying(
            ContainerStateChanged.class,
            e -> {
              assertThat(e.state()).isEqualTo("running");
              assertThat(e.previousState()).isEqualTo("running");
            });
  }

  @Test
  @DisplayName("a container gone is a change to missing followed by a missing event")
  void goneEvents() {
    ContainerEntry running =
        ContainerEntry.observed(Fakes.managed("c1", "shop", "running"), null, null, T0);
    ContainerEntry gone = running.missing(event("destroy", T1), T1);

    List<ContainerEvent> events =
        ContainerChanges.between(running, gone, event("destroy", T1), T0, T1);

    assertThat(events)
        .containsExactly(
            new ContainerStateChanged(
                "c1", "shop", "slipway-c1", "missing", "running", "web:1", "destroy", T1),
            new ContainerMissing("c1", "shop", T0, T1));
    assertThat(ContainerChanges.feedEntry(events.get(0), gone, event("destroy", T1)))
        .containsExactly(
            Map.entry(ContainerHash.Feed.KIND, "container"),
            Map.entry(ContainerHash.Feed.EVENT, EventTypes.CONTAINER_STATE_CHANGED),
            Map.entry(ContainerHash.Feed.ID, "c1"),
            Map.entry(ContainerHash.Feed.APP, "shop"),
            Map.entry(ContainerHash.Feed.STATE, "missing"),
            Map.entry(ContainerHash.Feed.HEALTH, "none"),
            Map.entry(ContainerHash.Feed.DOCKER_EVENT, "destroy"),
            Map.entry(ContainerHash.Feed.TIME, T1.toString()));
  }
}
