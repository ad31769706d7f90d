package dev.slipway.reconciler.containers;

import dev.slipway.infra.docker.Labels;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A container as the engine reported it on inspection.
 *
 * @param name without the leading slash
 * @param image the image reference it was created from
 * @param imageId the id of the image it runs
 * @param state created, running, restarting, paused, removing, exited or dead
 * @param health none, starting, healthy or unhealthy
 * @param startedAt {@code null} when it never started
 * @param finishedAt {@code null} when it never stopped
 * @param exitCode the exit code of the last run, {@code null} when it never stopped
 */
public record ContainerSnapshot(
    String id,
    String name,
    Map<String, String> labels,
    String image,
    String imageId,
    String state,
    String health,
    List<PublishedPort> ports,
    Instant startedAt,
    Instant finishedAt,
    Long exitCode,
    int restartCount) {

  public ContainerSnapshot {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    ports = ports == null ? List.of() : ports.stream().sorted(PublishedPort.ORDER).toList();
    health = health == null || health.isBlank() ? "none" : health;
  }

  /** Whether Slipway created it: the only containers the reconciler projects. */
  public boolean managed() {
    return Labels.TRUE.equals(labels.get(Labels.MANAGED));
  }

  public String label(String name) {
    return labels.get(name);
  }

  /**
   * A container port published on the host.
   *
   * @param protocol tcp, udp or sctp
   */
  public record PublishedPort(int containerPort, String protocol, String hostIp, Integer hostPort) {

    static final Comparator<PublishedPort> ORDER =
        Comparator.comparingInt(PublishedPort::containerPort)
            .thenComparing(PublishedPort::protocol, Comparator.nullsFirst(String::compareTo))
            .thenComparing(PublishedPort::hostIp, Comparator.nullsFirst(String::compareTo))
            .thenComparing(PublishedPort::hostPort, Comparator.nullsFirst(Integer::compareTo));
  }
}
