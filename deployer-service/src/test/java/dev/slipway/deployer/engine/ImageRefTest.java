package dev.slipway.deployer.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Image references split for a pull")
class ImageRefTest {

  @Test
  @DisplayName("tags, digests, registry ports and Docker Hub names split as the engine expects")
  void parse() {
    assertThat(ImageRef.parse("web")).isEqualTo(new ImageRef("web", "latest"));
    assertThat(ImageRef.parse("team/web:v1")).isEqualTo(new ImageRef("team/web", "v1"));
    assertThat(ImageRef.parse("registry.local:5000/web"))
        .isEqualTo(new ImageRef("registry.local:5000/web", "latest"));
    assertThat(ImageRef.parse("registry.local:5000/web:v2@sha256:ab"))
        .isEqualTo(new ImageRef("registry.local:5000/web:v2", "sha256:ab"));
    assertThat(ImageRef.parse("web").registry()).isEqualTo("docker.io");
    assertThat(ImageRef.parse("team/web:v1").registry()).isEqualTo("docker.io");
    assertThat(ImageRef.parse("Registry.Local:5000/web").registry())
        .isEqualTo("registry.local:5000");
    assertThat(ImageRef.parse("localhost/web").registry()).isEqualTo("localhost");
  }
}
