package dev.slipway.gateway.edge;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import java.util.Map;

/**
 * A busybox httpd container serving files, published on 127.0.0.1 at a port the engine picks, as
 * the deployer publishes app containers. Closing removes the container and its image.
 */
final class BusyboxUpstream implements AutoCloseable {

  private static final ExposedPort HTTP = ExposedPort.tcp(BusyboxImages.HTTP_PORT);

  private final DockerClient docker;
  private final String tag;
  private final String containerId;
  private final Upstream upstream;

  private BusyboxUpstream(DockerClient docker, String tag, String containerId, Upstream upstream) {
    this.docker = docker;
    this.tag = tag;
    this.containerId = containerId;
    this.upstream = upstream;
  }

  static BusyboxUpstream start(Map<String, String> files) {
    DockerClient docker = DockerEngine.require();
    String tag = BusyboxImages.randomTag();
    String id = null;
    try {
      BusyboxImages.httpImage(tag, files);
      id =
          docker
              .createContainerCmd(tag)
              .withName(DockerEngine.randomName("slipway-test-edge"))
              .withLabels(Map.of(DockerEngine.TEST_LABEL, "true"))
              .withExposedPorts(HTTP)
              .withHostConfig(
                  HostConfig.newHostConfig()
                      .withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), HTTP)))
              .exec()
              .getId();
      docker.startContainerCmd(id).exec();
      Ports.Binding binding =
          docker
              .inspectContainerCmd(id)
              .exec()
              .getNetworkSettings()
              .getPorts()
              .getBindings()
              .get(HTTP)[0];
      return new BusyboxUpstream(
          docker,
          tag,
          id,
          new Upstream(binding.getHostIp(), Integer.parseInt(binding.getHostPortSpec())));
    } catch (RuntimeException e) {
      remove(docker, id, tag);
      throw e;
    }
  }

  Upstream upstream() {
    return upstream;
  }

  @Override
  public void close() {
    remove(docker, containerId, tag);
  }

  private static void remove(DockerClient docker, String id, String tag) {
    if (id != null) {
      try {
        docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
      } catch (NotFoundException alreadyGone) {
        // Nothing to do.
      }
    }
    BusyboxImages.remove(tag);
  }
}
