package dev.slipway.reconciler.containers;

import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.events.ContainerEvent.ContainerHealthChanged;
import dev.slipway.infra.events.ContainerEvent.ContainerMissing;
import dev.slipway.infra.events.ContainerEvent.ContainerStateChanged;
import dev.slipway.infra.events.ContainerEvent.DriftDetected;
import dev.slipway.infra.redis.ContainerHash;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What to tell the world when a projection entry changes: the events and their feed entries. */
public final class ContainerChanges {

  private ContainerChanges() {}

  /**
   * The events that describe the step from {@code previous} to {@code next}, in the order they
   * happened: a state change (also when the container ran again without the state differing, as a
   * coalesced restart), then a health change, then, for a container gone, that it is missing.
   *
   * @param previous the entry as last written, {@code null} when the container is new to Slipway
   * @param trigger the engine event that made the reconciler look, {@code null} for a resync
   * @param lastSeen when the reconciler last saw the container in the engine, if known
   */
  public static List<ContainerEvent> between(
      ContainerEntry previous,
      ContainerEntry next,
      DockerEngine.EngineEvent trigger,
      Instant lastSeen,
      Instant now) {
    List<ContainerEvent> events = new ArrayList<>();
    if (!next.visiblyDiffers(previous)) {
      return events;
    }
    String lastEvent = trigger != null ? trigger.action() : null;
    if (previous == null || next.lifecycleDiffers(previous)) {
      events.add(
          new ContainerStateChanged(
              next.id(),
              next.app(),
              next.name() != null ? next.name() : next.id(),
              next.state() != null ? next.state() : "unknown",
              previous != null ? previous.state() : null,
              next.image() != null ? next.image() : "",
              lastEvent,
              now));
    }
    String previousHealth = previous != null ? previous.health() : null;
    boolean healthChanged =
        previous == null
            ? !ContainerHash.HEALTH_NONE.equals(next.health())
            : !Objects.equals(previousHealth, next.health());
    // A container gone has no health to report: its disappearance says it all.
    if (healthChanged && next.app() != null && next.health() != null && !next.isMissing()) {
      events.add(
          new ContainerHealthChanged(next.id(), next.app(), next.health(), previousHealth, now));
    }
    if (next.isMissing() && (previous == null || !previous.isMissing()) && next.app() != null) {
      Instant seen =
          lastSeen != null
              ? lastSeen
              : previous != null && previous.updatedAt() != null ? previous.updatedAt() : now;
      events.add(new ContainerMissing(next.id(), next.app(), seen, now));
    }
    return events;
  }

  /** The change feed entry for one published event, with {@link ContainerHash.Feed} fields. */
  public static Map<String, String> feedEntry(
      ContainerEvent event, ContainerEntry entry, DockerEngine.EngineEvent trigger) {
    Map<String, String> feed = new LinkedHashMap<>();
    feed.put(ContainerHash.Feed.KIND, ContainerHash.Feed.KIND_CONTAINER);
    feed.put(ContainerHash.Feed.EVENT, event.type());
    switch (event) {
      case DriftDetected drift -> {
        if (drift.containerId() != null) {
          feed.put(ContainerHash.Feed.ID, drift.containerId());
        }
        feed.put(ContainerHash.Feed.APP, drift.app());
        feed.put(ContainerHash.Feed.DRIFT, drift.kind().wire());
        feed.put(ContainerHash.Feed.EXPECTED, drift.expected());
        feed.put(ContainerHash.Feed.FOUND, drift.found());
        feed.put(ContainerHash.Feed.TIME, drift.at().toString());
      }
      default -> {
        feed.put(ContainerHash.Feed.ID, entry.id());
        if (entry.app() != null) {
          feed.put(ContainerHash.Feed.APP, entry.app());
        }
        if (entry.state() != null) {
          feed.put(ContainerHash.Feed.STATE, entry.state());
        }
        if (entry.health() != null) {
          feed.put(ContainerHash.Feed.HEALTH, entry.health());
        }
        if (trigger != null) {
          feed.put(ContainerHash.Feed.DOCKER_EVENT, trigger.action());
        }
        feed.put(ContainerHash.Feed.TIME, event.at().toString());
      }
    }
    return feed;
  }
}
