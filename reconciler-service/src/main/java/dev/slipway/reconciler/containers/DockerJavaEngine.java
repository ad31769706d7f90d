package dev.slipway.reconciler.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.HealthState;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import dev.slipway.infra.docker.Labels;
import dev.slipway.reconciler.containers.ContainerSnapshot.PublishedPort;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@link DockerEngine} on docker-java; every call blocks, so callers use virtual threads. */
public final class DockerJavaEngine implements DockerEngine {

  private static final Map<String, String> MANAGED = Map.of(Labels.MANAGED, Labels.TRUE);
  private static final long STREAM_START_TIMEOUT_SECONDS = 10;

  private final DockerClient docker;

  public DockerJavaEngine(DockerClient docker) {
    this.docker = docker;
  }

  @Override
  public List<String> listManaged() {
    return docker.listContainersCmd().withShowAll(true).withLabelFilter(MANAGED).exec().stream()
        // The engine filtered already; checking again costs nothing and keeps the promise that
        // a container without Slipway's label is never projected.
        .filter(c -> c.getLabels() != null && Labels.TRUE.equals(c.getLabels().get(Labels.MANAGED)))
        .map(Container::getId)
        .toList();
  }

  @Override
  public Optional<ContainerSnapshot> inspect(String containerId) {
    InspectContainerResponse response;
    try {
      response = docker.inspectContainerCmd(containerId).exec();
    } catch (NotFoundException gone) {
      return Optional.empty();
    }
    return Optional.of(snapshot(response));
  }

  @Override
  public Subscription events(Instant since, Listener listener) {
    AtomicBoolean closedByUs = new AtomicBoolean();
    AtomicBoolean reported = new AtomicBoolean();
    ResultCallback.Adapter<Event> callback =
        new ResultCallback.Adapter<>() {
          @Override
          public void onNext(Event event) {
            if (event.getType() != EventType.CONTAINER || closedByUs.get()) {
              return;
            }
            String id = event.getActor() != null ? event.getActor().getId() : event.getId();
            String action = event.getAction() != null ? event.getAction() : event.getStatus();
            if (id == null || action == null) {
              return;
            }
            listener.event(new EngineEvent(id, action, time(event)));
          }

          @Override
          public void onError(Throwable error) {
            super.onError(error);
            if (!closedByUs.get() && reported.compareAndSet(false, true)) {
              listener.closed(error);
            }
          }

          @Override
          public void onComplete() {
            super.onComplete();
            if (!closedByUs.get() && reported.compareAndSet(false, true)) {
              listener.closed(null);
            }
          }
        };
    docker
        .eventsCmd()
        .withSince(dockerTime(since))
        .withEventTypeFilter(EventType.CONTAINER)
        .withLabelFilter(MANAGED)
        .exec(callback);
    try {
      if (!callback.awaitStarted(STREAM_START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        closeQuietly(callback);
        throw new IllegalStateException(
            "engine event stream did not start within " + STREAM_START_TIMEOUT_SECONDS + "s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(callback);
      throw new IllegalStateException("interrupted while opening the engine event stream", e);
    }
    return () -> {
      closedByUs.set(true);
      closeQuietly(callback);
    };
  }

  @Override
  public void ping() {
    docker.pingCmd().exec();
  }

  static ContainerSnapshot snapshot(InspectContainerResponse r) {
    InspectContainerResponse.ContainerState state = r.getState();
    HealthState health = state != null ? state.getHealth() : null;
    Map<String, String> labels = r.getConfig() != null ? r.getConfig().getLabels() : null;
    String name = r.getName() == null ? r.getId() : r.getName().replaceFirst("^/", "");
    Long exitCode = null;
    Instant finishedAt = state != null ? dockerInstant(state.getFinishedAt()) : null;
    if (finishedAt != null && state.getExitCodeLong() != null) {
      exitCode = state.getExitCodeLong();
    }
    return new ContainerSnapshot(
        r.getId(),
        name,
        labels,
        r.getConfig() != null ? r.getConfig().getImage() : null,
        r.getImageId(),
        state != null && state.getStatus() != null ? state.getStatus() : "unknown",
        health != null ? health.getStatus() : null,
        ports(r),
        state != null ? dockerInstant(state.getStartedAt()) : null,
        finishedAt,
        exitCode,
        r.getRestartCount() != null ? r.getRestartCount() : 0);
  }

  private static List<PublishedPort> ports(InspectContainerResponse r) {
    List<PublishedPort> ports = new ArrayList<>();
    if (r.getNetworkSettings() == null || r.getNetworkSettings().getPorts() == null) {
      return ports;
    }
    for (Map.Entry<ExposedPort, Ports.Binding[]> entry :
        r.getNetworkSettings().getPorts().getBindings().entrySet()) {
      if (entry.getValue() == null) {
        continue;
      }
      ExposedPort exposed = entry.getKey();
      for (Ports.Binding binding : entry.getValue()) {
        ports.add(
            new PublishedPort(
                exposed.getPort(),
                exposed.getProtocol() != null ? exposed.getProtocol().toString() : "tcp",
                binding.getHostIp(),
                hostPort(binding.getHostPortSpec())));
      }
    }
    return ports;
  }

  private static Integer hostPort(String spec) {
    try {
      return spec == null || spec.isBlank() ? null : Integer.valueOf(spec);
    } catch (NumberFormatException range) {
      return null;
    }
  }

  /** The engine writes year 1 for "never". */
  static Instant dockerInstant(String value) {
    if (value == null || value.isBlank() || value.startsWith("0001-")) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Instant time(Event event) {
    if (event.getTimeNano() != null) {
      long nanos = event.getTimeNano();
      return Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
    }
    if (event.getTime() != null) {
      return Instant.ofEpochSecond(event.getTime());
    }
    return Instant.now();
  }

  /** The events API takes {@code <seconds>.<nanoseconds>}. */
  static String dockerTime(Instant instant) {
    return instant.getEpochSecond() + "." + String.format("%09d", instant.getNano());
  }

  private static void closeQuietly(ResultCallback.Adapter<Event> callback) {
    try {
      callback.close();
    } catch (Exception ignored) {
      // Closing a stream that already failed has nothing left to report.
    }
  }
}
