package dev.slipway.infra.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The Docker engine fixture")
class DockerEngineTest {

  @Test
  @DisplayName("an engine that does not answer fails the test with the setup hint")
  void unreachableEngineFails() {
    String host = "unix:///tmp/slipway-no-engine-" + FixtureSupport.randomSuffix() + ".sock";

    IllegalStateException failure =
        assertThrows(IllegalStateException.class, () -> DockerEngine.ping(host));

    assertEquals(
        "Docker engine not reachable at "
            + host
            + ": run `infra/slipway setup` (installs docker.io and starts dockerd)",
        failure.getMessage());
  }

  @Test
  @DisplayName("random names keep the prefix and differ every time")
  void randomNames() {
    String first = DockerEngine.randomName("slipway-test");
    String second = DockerEngine.randomName("slipway-test");

    assertTrue(first.matches("slipway-test-[0-9a-f]{10}"), first);
    assertTrue(!first.equals(second), first + " vs " + second);
  }
}
