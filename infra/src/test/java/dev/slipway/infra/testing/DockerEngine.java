package dev.slipway.infra.testing;

import com.github.dockerjava.api.DockerClient;
import dev.slipway.infra.docker.DockerClients;
import java.io.IOException;
import java.time.Duration;

/**
 * The Docker engine the tests run against: {@code SLIPWAY_DOCKER_HOST}, or the local socket.
 *
 * <p>A test that needs the engine calls {@link #require()}: when the engine does not answer the
 * test fails with the setup hint. It is never skipped, so a missing engine cannot pass as green.
 */
public final class DockerEngine {

  /** Label on every image and container the fixtures create. */
  public static final String TEST_LABEL = "dev.slipway.test";

  private static final String DEFAULT_HOST = "unix:///var/run/docker.sock";

  private static DockerClient client;

  private DockerEngine() {}

  /** {@code SLIPWAY_DOCKER_HOST}, else {@code unix:///var/run/docker.sock}. */
  public static String host() {
    String host = System.getenv("SLIPWAY_DOCKER_HOST");
    return host != null && !host.isBlank() ? host : DEFAULT_HOST;
  }

  /** The client shared by the whole JVM; it does not check that the engine answers. */
  public static synchronized DockerClient client() {
    if (client == null) {
      client = DockerClients.create(host());
    }
    return client;
  }

  /**
   * Pings the engine and returns the shared client.
   *
   * @throws IllegalStateException when the engine does not answer within ten seconds
   */
  public static DockerClient require() {
    ping(host());
    return client();
  }

  static void ping(String host) {
    try (DockerClient pinger = DockerClients.create(host, Duration.ofSeconds(10))) {
      pinger.pingCmd().exec();
    } catch (RuntimeException | IOException e) {
      throw new IllegalStateException(
          "Docker engine not reachable at "
              + host
              + ": run `infra/slipway setup` (installs docker.io and starts dockerd)",
          e);
    }
  }

  /** {@code <prefix>-<random>}: lowercase, valid as a container, image or network name. */
  public static String randomName(String prefix) {
    return prefix + "-" + FixtureSupport.randomSuffix();
  }
}
