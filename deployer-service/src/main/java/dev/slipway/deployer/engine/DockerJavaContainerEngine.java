package dev.slipway.deployer.engine;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.secrets.CredentialStore.Credential;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** {@link ContainerEngine} on docker-java; every call blocks, so callers use virtual threads. */
public final class DockerJavaContainerEngine implements ContainerEngine {

  /** Published ports bind to loopback only: apps are reached through the edge router. */
  public static final String HOST_IP = "127.0.0.1";

  private static final Map<String, String> MANAGED = Map.of(Labels.MANAGED, Labels.TRUE);

  private final DockerClient docker;

  public DockerJavaContainerEngine(DockerClient docker) {
    this.docker = docker;
  }

  @Override
  public boolean imagePresent(String image) {
    try {
      docker.inspectImageCmd(image).exec();
      return true;
    } catch (NotFoundException absent) {
      return false;
    }
  }

  @Override
  public void pull(String image, Optional<Credential> credential, Duration timeout) {
    ImageRef ref = ImageRef.parse(image);
    PullImageCmd cmd = docker.pullImageCmd(ref.repository()).withTag(ref.tagOrDigest());
    credential.ifPresent(
        c ->
            cmd.withAuthConfig(
                new AuthConfig()
                    .withRegistryAddress(c.registry())
                    .withUsername(c.username())
                    .withPassword(c.secret())));
    try {
      boolean done =
          cmd.exec(new PullImageResultCallback())
              .awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        throw new EngineException("pull of " + image + " did not finish within " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("pull of " + image + " was interrupted", e);
    } catch (DockerException e) {
      throw new EngineException(engineMessage(e), e);
    }
    if (!imagePresent(image)) {
      throw new EngineException("the engine reported the pull of " + image + " done, yet lacks it");
    }
  }

  @Override
  public String create(ContainerSpec spec) {
    HostConfig host = HostConfig.newHostConfig();
    CreateContainerCmd cmd =
        docker
            .createContainerCmd(spec.image())
            .withName(spec.name())
            .withLabels(spec.labels())
            .withEnv(
                spec.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    if (!spec.command().isEmpty()) {
      cmd.withCmd(spec.command());
    }
    if (spec.port() != null) {
      ExposedPort exposed = ExposedPort.tcp(spec.port());
      Ports bindings = new Ports();
      // No host port: the engine picks a free one, read back with inspect.
      bindings.bind(exposed, Ports.Binding.bindIp(HOST_IP));
      cmd.withExposedPorts(exposed);
      host.withPortBindings(bindings);
    }
    if (!spec.volumes().isEmpty()) {
      host.withBinds(spec.volumes().stream().map(Bind::parse).toList());
    }
    if (spec.nanoCpus() != null) {
      host.withNanoCPUs(spec.nanoCpus());
    }
    if (spec.memoryBytes() != null) {
      host.withMemory(spec.memoryBytes());
    }
    try {
      return cmd.withHostConfig(host).exec().getId();
    } catch (DockerException e) {
      throw new EngineException(engineMessage(e), e);
    }
  }

  @Override
  public void start(String containerId) {
    try {
      docker.startContainerCmd(containerId).exec();
    } catch (NotModifiedException alreadyRunning) {
      // Fine: started is what we want.
    } catch (DockerException e) {
      throw new EngineException(engineMessage(e), e);
    }
  }

  @Override
  public void stop(String containerId, Duration timeout) {
    try {
      docker
          .stopContainerCmd(containerId)
          .withTimeout((int) Math.max(0, Math.min(Integer.MAX_VALUE, timeout.toSeconds())))
          .exec();
    } catch (NotFoundException | NotModifiedException stoppedOrGone) {
      // Fine: stopped is what we want.
    } catch (DockerException e) {
      throw new EngineException(engineMessage(e), e);
    }
  }

  @Override
  public void remove(String containerId) {
    try {
      docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException gone) {
      // Fine: gone is what we want.
    } catch (DockerException e) {
      if (e.getHttpStatus() == 409 && String.valueOf(e.getMessage()).contains("in progress")) {
        return; // another removal of it is running
      }
      throw new EngineException(engineMessage(e), e);
    }
  }

  @Override
  public Optional<ContainerInfo> inspect(String idOrName) {
    InspectContainerResponse r;
    try {
      r = docker.inspectContainerCmd(idOrName).exec();
    } catch (NotFoundException gone) {
      return Optional.empty();
    } catch (DockerException e) {
      throw new EngineException(engineMessage(e), e);
    }
    Map<Integer, Integer> ports = new HashMap<>();
    if (r.getNetworkSettings() != null && r.getNetworkSettings().getPorts() != null) {
      r.getNetworkSettings()
          .getPorts()
          .getBindings()
          .forEach(
              (exposed, bindings) -> {
                if (bindings == null) {
                  return;
                }
                for (Ports.Binding b : bindings) {
                  Integer hostPort = number(b.getHostPortSpec());
                  if (hostPort != null && (b.getHostIp() == null || isLoopback(b.getHostIp()))) {
                    ports.putIfAbsent(exposed.getPort(), hostPort);
                  }
                }
              });
    }
    return Optional.of(
        new ContainerInfo(
            r.getId(),
            r.getName() == null ? r.getId() : r.getName().replaceFirst("^/", ""),
            r.getConfig() != null ? r.getConfig().getLabels() : Map.of(),
            r.getConfig() != null ? r.getConfig().getImage() : null,
            r.getState() != null && r.getState().getStatus() != null
                ? r.getState().getStatus()
                : "unknown",
            ports));
  }

  @Override
  public List<ContainerInfo> listManaged() {
    List<Container> containers;
    try {
      containers = docker.listContainersCmd().withShowAll(true).withLabelFilter(MANAGED).exec();
    } catch (DockerException e) {
      throw new EngineException(engineMessage(e), e);
    }
    return containers.stream()
        // Checked again: a container without Slipway's label is never touched.
        .filter(c -> c.getLabels() != null && Labels.TRUE.equals(c.getLabels().get(Labels.MANAGED)))
        .map(DockerJavaContainerEngine::info)
        .toList();
  }

  private static ContainerInfo info(Container c) {
    Map<Integer, Integer> ports = new HashMap<>();
    if (c.getPorts() != null) {
      for (ContainerPort p : c.getPorts()) {
        if (p.getPrivatePort() != null
            && p.getPublicPort() != null
            && (p.getIp() == null || isLoopback(p.getIp()))) {
          ports.putIfAbsent(p.getPrivatePort(), p.getPublicPort());
        }
      }
    }
    String name =
        c.getNames() != null && c.getNames().length > 0
            ? c.getNames()[0].replaceFirst("^/", "")
            : c.getId();
    return new ContainerInfo(c.getId(), name, c.getLabels(), c.getImage(), c.getState(), ports);
  }

  private static boolean isLoopback(String ip) {
    return ip.isEmpty() || ip.equals(HOST_IP);
  }

  private static Integer number(String spec) {
    try {
      return spec == null || spec.isBlank() ? null : Integer.valueOf(spec);
    } catch (NumberFormatException range) {
      return null;
    }
  }

  /** The engine's own words, without docker-java's status-code prefix. */
  private static String engineMessage(DockerException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replaceFirst("^Status \\d+: ", "").trim();
  }
}
