package dev.slipway.deployer.engine;

import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.secrets.CredentialStore.Credential;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the deployer needs from the Docker engine. Every method blocks until the engine answers; the
 * deployer calls them on virtual threads, never on an event loop, and bounds each call with its own
 * timeout.
 */
public interface ContainerEngine {

  /** Whether the engine has the image locally. */
  boolean imagePresent(String image);

  /**
   * Pulls the image, with the credential when given.
   *
   * @throws EngineException when the pull fails or does not finish within {@code timeout}
   */
  void pull(String image, Optional<Credential> credential, Duration timeout);

  /**
   * Creates (does not start) a container.
   *
   * @return the container id
   */
  String create(ContainerSpec spec);

  void start(String containerId);

  /**
   * Stops gracefully (SIGTERM, then SIGKILL after {@code timeout}); a stopped or gone one is ok.
   */
  void stop(String containerId, Duration timeout);

  /** Removes forcibly, with its anonymous volumes; a gone one is ok. */
  void remove(String containerId);

  /** The container as the engine has it now, by id or name; empty when it does not exist. */
  Optional<ContainerInfo> inspect(String idOrName);

  /** Every container, running or not, with {@code dev.slipway.managed=true}. */
  List<ContainerInfo> listManaged();

  /** The managed containers of one app. */
  default List<ContainerInfo> listApp(String app) {
    return listManaged().stream().filter(c -> app.equals(c.app())).toList();
  }

  /**
   * A container to create.
   *
   * @param port the container port to publish on 127.0.0.1 with a random host port; {@code null}
   *     for none
   * @param volumes Compose-style {@code name:/path[:ro]} named volume mounts
   * @param nanoCpus CPU quota in billionths of a core, {@code null} for no limit
   * @param memoryBytes memory limit, {@code null} for no limit
   */
  record ContainerSpec(
      String name,
      String image,
      Map<String, String> labels,
      Map<String, String> env,
      List<String> command,
      Integer port,
      List<String> volumes,
      Long nanoCpus,
      Long memoryBytes) {

    public ContainerSpec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(image, "image");
      labels = Map.copyOf(labels);
      env = Map.copyOf(env);
      command = List.copyOf(command);
      volumes = List.copyOf(volumes);
    }

    /** Leaves the environment out: its values may be secrets. */
    @Override
    public String toString() {
      return "ContainerSpec[name=" + name + ", image=" + image + ", port=" + port + "]";
    }
  }

  /**
   * A container as the engine reports it.
   *
   * @param name without the leading {@code /}
   * @param image the image reference it was created from
   * @param state the engine's state: created, running, exited, ...
   * @param hostPorts container port to the host port published on 127.0.0.1
   */
  record ContainerInfo(
      String id,
      String name,
      Map<String, String> labels,
      String image,
      String state,
      Map<Integer, Integer> hostPorts) {

    public ContainerInfo {
      Objects.requireNonNull(id, "id");
      labels = labels == null ? Map.of() : Map.copyOf(labels);
      hostPorts = hostPorts == null ? Map.of() : Map.copyOf(hostPorts);
    }

    public boolean running() {
      return "running".equals(state);
    }

    public String app() {
      return labels.get(Labels.APP);
    }

    public String deployment() {
      return labels.get(Labels.DEPLOYMENT);
    }

    public String color() {
      return labels.get(Labels.COLOR);
    }

    /** The revision label as a number, or 0 when absent or not a number. */
    public long revision() {
      try {
        return Long.parseLong(labels.getOrDefault(Labels.REVISION, "0"));
      } catch (NumberFormatException e) {
        return 0;
      }
    }

    /** The host port the container port is published on, or {@code null}. */
    public Integer hostPort(Integer containerPort) {
      return containerPort == null ? null : hostPorts.get(containerPort);
    }
  }

  /** The engine refused or failed a call; the message is the engine's, safe to show. */
  final class EngineException extends RuntimeException {
    public EngineException(String message, Throwable cause) {
      super(message, cause);
    }

    public EngineException(String message) {
      super(message);
    }
  }
}
