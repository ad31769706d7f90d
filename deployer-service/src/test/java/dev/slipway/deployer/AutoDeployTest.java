package dev.slipway.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.Names;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The deploy a succeeded build asks for")
class AutoDeployTest {

  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static BuildSucceeded built(String digest, List<String> tags) {
    return new BuildSucceeded(
        "b1",
        "abc",
        "registry.local:5000/team/web",
        "sha256:1",
        digest,
        tags,
        new DeploySpec(
            "web",
            "ignored",
            DeploySpec.Strategy.RECREATE,
            80,
            Map.of("A", "1"),
            null,
            null,
            null,
            null,
            null,
            false),
        T,
        1L,
        T);
  }

  @Test
  @DisplayName("a pushed image deploys by digest, an unpushed one by its first tag, else latest")
  void image() {
    assertThat(AutoDeployVerticle.image(built("sha256:abc", List.of("v1"))))
        .isEqualTo("registry.local:5000/team/web@sha256:abc");
    assertThat(AutoDeployVerticle.image(built(null, List.of("v1", "v2"))))
        .isEqualTo("registry.local:5000/team/web:v1");
    assertThat(AutoDeployVerticle.image(built(null, List.of())))
        .isEqualTo("registry.local:5000/team/web:latest");
  }

  @Test
  @DisplayName(
      "the request keeps the build's spec, with the built image, under an id derived from the build")
  void request() {
    DeployRequested request = AutoDeployVerticle.request(built(null, List.of("v1")), T);
    assertThat(request.deploymentId()).isEqualTo("build-b1");
    assertThat(request.buildId()).isEqualTo("b1");
    assertThat(request.spec().image()).isEqualTo("registry.local:5000/team/web:v1");
    assertThat(request.spec().strategy()).isEqualTo(DeploySpec.Strategy.RECREATE);
    assertThat(request.spec().env()).containsEntry("A", "1");
    assertThat(request.spec().selfHeal()).isFalse();
    String longId = "b".repeat(128);
    assertThat(Names.isValidId(AutoDeployVerticle.deploymentId(longId))).isTrue();
    assertThat(AutoDeployVerticle.deploymentId(longId))
        .isEqualTo(AutoDeployVerticle.deploymentId(longId));
  }
}
