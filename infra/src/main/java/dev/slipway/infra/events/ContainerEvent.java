package dev.slipway.infra.events;

import java.time.Instant;
import java.util.Objects;

/**
 * What the Docker engine did to a container, on {@code slipway.container.events}, keyed by app name
 * (or container id when no app owns it); published by the reconciler.
 */
public sealed interface ContainerEvent extends SlipwayEvent {

  /** When the reconciler observed it. */
  Instant at();

  /** The Kafka record key: the app name, or the container id when no app owns the container. */
  @Override
  String key();

  /**
   * A container's Docker state changed; emitted by the reconciler after re-inspecting it.
   *
   * @param app the owning app from its {@code dev.slipway.app} label, {@code null} if unmanaged
   * @param name the container name, without the leading slash
   * @param state the Docker state: created, running, paused, restarting, removing, exited or dead
   * @param previousState the state the reconciler last saw, {@code null} if new to it
   * @param image the image the container runs
   * @param lastEvent the Docker engine event that triggered the look, e.g. {@code die}, {@code
   *     null} for a periodic resync
   */
  @EventType(EventTypes.CONTAINER_STATE_CHANGED)
  record ContainerStateChanged(
      String containerId,
      String app,
      String name,
      String state,
      String previousState,
      String image,
      String lastEvent,
      Instant at)
      implements ContainerEvent {

    public ContainerStateChanged {
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(at, "at");
    }

    @Override
    public String key() {
      return app != null ? app : containerId;
    }
  }

  /**
   * A managed container's Docker health status changed; emitted by the reconciler.
   *
   * @param health the Docker health status: starting, healthy, unhealthy or none
   * @param previousHealth the status the reconciler last saw, {@code null} if new to it
   */
  @EventType(EventTypes.CONTAINER_HEALTH_CHANGED)
  record ContainerHealthChanged(
      String containerId, String app, String health, String previousHealth, Instant at)
      implements ContainerEvent {

    public ContainerHealthChanged {
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(health, "health");
      Objects.requireNonNull(at, "at");
    }

    @Override
    public String key() {
      return app;
    }
  }

  /**
   * A managed container the reconciler knew is gone from the engine (removed outside Slipway, or
   * the engine lost it); emitted by the reconciler on resync.
   *
   * @param lastSeen when the reconciler last saw it
   */
  @EventType(EventTypes.CONTAINER_MISSING)
  record ContainerMissing(String containerId, String app, Instant lastSeen, Instant at)
      implements ContainerEvent {

    public ContainerMissing {
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(lastSeen, "lastSeen");
      Objects.requireNonNull(at, "at");
    }

    @Override
    public String key() {
      return app;
    }
  }

  /**
   * An app's containers differ from its desired state; emitted by the reconciler, which then asks
   * the deployer to reconcile when the app has self-heal on.
   *
   * @param expected what the desired state calls for, e.g. the image or {@code running}
   * @param found what the engine has instead, e.g. the other image, {@code exited} or {@code none}
   * @param containerId the container concerned, {@code null} when there is none
   */
  @EventType(EventTypes.CONTAINER_DRIFT)
  record DriftDetected(
      String app, DriftKind kind, String expected, String found, String containerId, Instant at)
      implements ContainerEvent {

    public DriftDetected {
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(expected, "expected");
      Objects.requireNonNull(found, "found");
      Objects.requireNonNull(at, "at");
    }

    @Override
    public String key() {
      return app;
    }
  }
}
