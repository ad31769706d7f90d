package dev.slipway.infra.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

@DisplayName("Busybox containers built FROM scratch")
class BusyboxContainerIT {

  private static final ExposedPort HTTP = ExposedPort.tcp(BusyboxImages.HTTP_PORT);
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static DockerClient docker;

  @BeforeAll
  static void engine() {
    docker = DockerEngine.require();
  }

  @Test
  @DisplayName(
      "a Testcontainers busybox httpd serves its token, and stopping it removes the container")
  void testcontainersHttpd() throws Exception {
    String token = "token-" + FixtureSupport.randomSuffix();
    String imageName = DockerEngine.randomName("slipway-test/tc-busybox") + ":latest";
    ImageFromDockerfile image =
        new ImageFromDockerfile(imageName, true)
            .withFileFromPath("busybox", BusyboxImages.BUSYBOX)
            .withFileFromString("www/index.html", token)
            .withDockerfileFromBuilder(
                dockerfile ->
                    dockerfile
                        .from("scratch")
                        .copy("busybox", "/bin/busybox")
                        .copy("www", "/www")
                        .expose(BusyboxImages.HTTP_PORT)
                        .cmd(
                            "/bin/busybox",
                            "httpd",
                            "-f",
                            "-p",
                            Integer.toString(BusyboxImages.HTTP_PORT),
                            "-h",
                            "/www")
                        .build());
    String containerId = null;
    try (GenericContainer<?> container =
        new GenericContainer<>(image)
            .withExposedPorts(BusyboxImages.HTTP_PORT)
            .withLabel(DockerEngine.TEST_LABEL, "true")
            // Publish on loopback only, not on every interface.
            .withCreateContainerCmdModifier(
                cmd ->
                    cmd.getHostConfig()
                        .withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), HTTP)))
            .waitingFor(
                Wait.forHttp("/index.html")
                    .forStatusCode(200)
                    .withStartupTimeout(Duration.ofSeconds(60)))) {
      container.start();
      containerId = container.getContainerId();

      String url =
          "http://"
              + container.getHost()
              + ":"
              + container.getMappedPort(BusyboxImages.HTTP_PORT)
              + "/index.html";
      assertEquals(token, get(url).body());

      container.stop();
      String stopped = containerId;
      assertThrows(NotFoundException.class, () -> docker.inspectContainerCmd(stopped).exec());
    } finally {
      if (containerId != null) {
        removeContainer(containerId);
      }
      BusyboxImages.remove(imageName);
    }
    assertThrows(NotFoundException.class, () -> docker.inspectImageCmd(imageName).exec());
  }

  @Test
  @DisplayName(
      "a BusyboxImages httpd published on 127.0.0.1 serves its token, and is gone once removed")
  void dockerJavaHttpd() throws Exception {
    String token = "token-" + FixtureSupport.randomSuffix();
    String tag = BusyboxImages.randomTag();
    String containerId = null;
    try {
      BusyboxImages.httpImage(tag, Map.of("index.html", token));
      containerId = startPublished(tag);
      String url = "http://127.0.0.1:" + hostPort(containerId) + "/index.html";

      assertEquals(token, awaitOk(url));
    } finally {
      if (containerId != null) {
        removeContainer(containerId);
      }
      BusyboxImages.remove(tag);
    }
    String removed = containerId;
    assertThrows(NotFoundException.class, () -> docker.inspectContainerCmd(removed).exec());
    assertThrows(NotFoundException.class, () -> docker.inspectImageCmd(tag).exec());
  }

  @Test
  @DisplayName("busybox images have a shell, so shell-form RUN and CMD work")
  void shellForm() throws Exception {
    String tag = BusyboxImages.randomTag();
    String containerId = null;
    try {
      BusyboxImages.build(
          tag,
          List.of(
              "RUN mkdir -p /www && echo $((6 * 7)) > /www/answer.txt",
              "CMD httpd -f -p " + BusyboxImages.HTTP_PORT + " -h /www"),
          Map.of());
      containerId = startPublished(tag);

      assertEquals("42\n", awaitOk("http://127.0.0.1:" + hostPort(containerId) + "/answer.txt"));
    } finally {
      if (containerId != null) {
        removeContainer(containerId);
      }
      BusyboxImages.remove(tag);
    }
  }

  private static String startPublished(String image) {
    String id =
        docker
            .createContainerCmd(image)
            .withName(DockerEngine.randomName("slipway-test-httpd"))
            .withLabels(Map.of(DockerEngine.TEST_LABEL, "true"))
            .withExposedPorts(HTTP)
            .withHostConfig(
                HostConfig.newHostConfig()
                    // Port 0: the engine picks a free host port.
                    .withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), HTTP)))
            .exec()
            .getId();
    docker.startContainerCmd(id).exec();
    return id;
  }

  private static String hostPort(String containerId) {
    InspectContainerResponse inspected = docker.inspectContainerCmd(containerId).exec();
    Ports.Binding[] bindings = inspected.getNetworkSettings().getPorts().getBindings().get(HTTP);
    assertEquals("127.0.0.1", bindings[0].getHostIp());
    return bindings[0].getHostPortSpec();
  }

  private static String awaitOk(String url) {
    return await("200 from " + url)
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> get(url), response -> response.statusCode() == 200)
        .body();
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void removeContainer(String id) {
    try {
      docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException alreadyGone) {
      // Removed by the test itself.
    }
  }
}
