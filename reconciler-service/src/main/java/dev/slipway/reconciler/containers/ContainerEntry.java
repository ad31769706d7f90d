package dev.slipway.reconciler.containers;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.reconciler.containers.ContainerSnapshot.PublishedPort;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of the container projection, as written whole to the hash {@code container:<id>} with
 * the {@link ContainerHash} fields.
 *
 * @param state the Docker state, or {@link ContainerHash#MISSING}; {@code null} only on an entry
 *     someone else wrote before the container existed
 */
public record ContainerEntry(
    String id,
    String name,
    String app,
    String role,
    String color,
    String revision,
    String deployment,
    String image,
    String imageId,
    String state,
    String health,
    List<PublishedPort> ports,
    Instant startedAt,
    Instant finishedAt,
    Long exitCode,
    Integer restartCount,
    String lastEvent,
    Instant lastEventAt,
    Instant updatedAt,
    Instant missingSince) {

  private static final TypeReference<List<PublishedPort>> PORT_LIST = new TypeReference<>() {};

  public ContainerEntry {
    Objects.requireNonNull(id, "id");
    ports = ports == null ? List.of() : List.copyOf(ports);
  }

  /**
   * The entry for a container the engine has: everything from the inspection, the last event from
   * {@code trigger} or else kept from {@code previous}.
   */
  public static ContainerEntry observed(
      ContainerSnapshot c, DockerEngine.EngineEvent trigger, ContainerEntry previous, Instant now) {
    String lastEvent =
        trigger != null ? trigger.action() : previous != null ? previous.lastEvent : null;
    Instant lastEventAt =
        trigger != null ? trigger.time() : previous != null ? previous.lastEventAt : null;
    return new ContainerEntry(
        c.id(),
        c.name(),
        c.label(Labels.APP),
        c.label(Labels.ROLE),
        c.label(Labels.COLOR),
        c.label(Labels.REVISION),
        c.label(Labels.DEPLOYMENT),
        c.image(),
        c.imageId(),
        c.state(),
        c.health(),
        c.ports(),
        c.startedAt(),
        c.finishedAt(),
        c.exitCode(),
        c.restartCount(),
        lastEvent,
        lastEventAt,
        now,
        null);
  }

  /** This entry once the engine no longer has the container: state missing since {@code now}. */
  public ContainerEntry missing(DockerEngine.EngineEvent trigger, Instant now) {
    return new ContainerEntry(
        id,
        name,
        app,
        role,
        color,
        revision,
        deployment,
        image,
        imageId,
        ContainerHash.MISSING,
        ContainerHash.HEALTH_NONE,
        List.of(),
        startedAt,
        finishedAt,
        exitCode,
        restartCount,
        trigger != null ? trigger.action() : lastEvent,
        trigger != null ? trigger.time() : lastEventAt,
        now,
        now);
  }

  public boolean isMissing() {
    return ContainerHash.MISSING.equals(state);
  }

  public boolean isRunning() {
    return "running".equals(state);
  }

  /** The same entry stamped {@code updatedAt}. */
  public ContainerEntry withUpdatedAt(Instant updatedAt) {
    return new ContainerEntry(
        id,
        name,
        app,
        role,
        color,
        revision,
        deployment,
        image,
        imageId,
        state,
        health,
        ports,
        startedAt,
        finishedAt,
        exitCode,
        restartCount,
        lastEvent,
        lastEventAt,
        updatedAt,
        missingSince);
  }

  /** Equal in every field but {@code updated_at}: nothing to write. */
  public boolean sameAs(ContainerEntry other) {
    return other != null && withUpdatedAt(null).equals(other.withUpdatedAt(null));
  }

  /**
   * Whether an operator would see a difference: the state, health, image, ports, run times, exit
   * code, restart count or labels; not the bookkeeping ({@code last_event}, {@code updated_at}).
   */
  public boolean visiblyDiffers(ContainerEntry other) {
    if (other == null) {
      return true;
    }
    return !Objects.equals(state, other.state)
        || !Objects.equals(health, other.health)
        || !Objects.equals(image, other.image)
        || !Objects.equals(imageId, other.imageId)
        || !Objects.equals(ports, other.ports)
        || !Objects.equals(startedAt, other.startedAt)
        || !Objects.equals(finishedAt, other.finishedAt)
        || !Objects.equals(exitCode, other.exitCode)
        || !Objects.equals(restartCount, other.restartCount)
        || !Objects.equals(name, other.name)
        || !Objects.equals(app, other.app)
        || !Objects.equals(role, other.role)
        || !Objects.equals(color, other.color)
        || !Objects.equals(revision, other.revision)
        || !Objects.equals(deployment, other.deployment)
        || !Objects.equals(missingSince, other.missingSince);
  }

  /** Whether the container went through a run since {@code other}: started or stopped again. */
  public boolean lifecycleDiffers(ContainerEntry other) {
    return other != null
        && (!Objects.equals(state, other.state)
            || !Objects.equals(startedAt, other.startedAt)
            || !Objects.equals(finishedAt, other.finishedAt)
            || !Objects.equals(restartCount, other.restartCount));
  }

  /** The hash fields; absent values are left out, so a whole write leaves no stale field. */
  public Map<String, String> toHash() {
    Map<String, String> hash = new LinkedHashMap<>();
    put(hash, ContainerHash.ID, id);
    put(hash, ContainerHash.NAME, name);
    put(hash, ContainerHash.APP, app);
    put(hash, ContainerHash.ROLE, role);
    put(hash, ContainerHash.COLOR, color);
    put(hash, ContainerHash.REVISION, revision);
    put(hash, ContainerHash.DEPLOYMENT, deployment);
    put(hash, ContainerHash.IMAGE, image);
    put(hash, ContainerHash.IMAGE_ID, imageId);
    put(hash, ContainerHash.STATE, state);
    put(hash, ContainerHash.HEALTH, health);
    put(hash, ContainerHash.PORTS, Json.toString(ports));
    put(hash, ContainerHash.STARTED_AT, startedAt);
    put(hash, ContainerHash.FINISHED_AT, finishedAt);
    put(hash, ContainerHash.EXIT_CODE, exitCode);
    put(hash, ContainerHash.RESTART_COUNT, restartCount);
    put(hash, ContainerHash.LAST_EVENT, lastEvent);
    put(hash, ContainerHash.LAST_EVENT_AT, lastEventAt);
    put(hash, ContainerHash.UPDATED_AT, updatedAt);
    put(hash, ContainerHash.MISSING_SINCE, missingSince);
    return hash;
  }

  /**
   * Reads an entry back; unreadable values count as absent (the next write replaces them).
   *
   * @return {@code null} for an empty hash
   */
  public static ContainerEntry fromHash(String id, Map<String, String> hash) {
    if (hash == null || hash.isEmpty()) {
      return null;
    }
    List<PublishedPort> ports;
    try {
      String json = hash.get(ContainerHash.PORTS);
      ports = json == null ? List.of() : Json.mapper().readValue(json, PORT_LIST);
    } catch (Exception e) {
      ports = List.of();
    }
    return new ContainerEntry(
        id,
        hash.get(ContainerHash.NAME),
        hash.get(ContainerHash.APP),
        hash.get(ContainerHash.ROLE),
        hash.get(ContainerHash.COLOR),
        hash.get(ContainerHash.REVISION),
        hash.get(ContainerHash.DEPLOYMENT),
        hash.get(ContainerHash.IMAGE),
        hash.get(ContainerHash.IMAGE_ID),
        hash.get(ContainerHash.STATE),
        hash.get(ContainerHash.HEALTH),
        ports,
        instant(hash.get(ContainerHash.STARTED_AT)),
        instant(hash.get(ContainerHash.FINISHED_AT)),
        number(hash.get(ContainerHash.EXIT_CODE)),
        number(hash.get(ContainerHash.RESTART_COUNT)) == null
            ? null
            : number(hash.get(ContainerHash.RESTART_COUNT)).intValue(),
        hash.get(ContainerHash.LAST_EVENT),
        instant(hash.get(ContainerHash.LAST_EVENT_AT)),
        instant(hash.get(ContainerHash.UPDATED_AT)),
        instant(hash.get(ContainerHash.MISSING_SINCE)));
  }

  private static void put(Map<String, String> hash, String field, Object value) {
    if (value != null) {
      hash.put(field, value.toString());
    }
  }

  private static Instant instant(String value) {
    try {
      return value == null ? null : Instant.parse(value);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Long number(String value) {
    try {
      return value == null ? null : Long.valueOf(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
