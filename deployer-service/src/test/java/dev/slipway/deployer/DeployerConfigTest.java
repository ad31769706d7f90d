package dev.slipway.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The deployer's settings from the environment")
class DeployerConfigTest {

  @Test
  @DisplayName("defaults apply when nothing is set")
  void defaults() {
    DeployerConfig config = DeployerConfig.defaults();
    assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.stopTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.rollbackWindow()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.deployTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.healthPath()).isEqualTo("/up");
    assertThat(config.selfHeal()).isTrue();
  }

  @Test
  @DisplayName("Compose-style durations are read, and a bad value names its variable")
  void parsing() {
    DeployerConfig config =
        DeployerConfig.from(
            new Env(
                Map.of(
                    DeployerConfig.DRAIN_TIMEOUT_ENV, "1m30s",
                    DeployerConfig.ROLLBACK_WINDOW_ENV, "0s",
                    DeployerConfig.SELF_HEAL_ENV, "no")));
    assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.rollbackWindow()).isZero();
    assertThat(config.selfHeal()).isFalse();

    assertThatThrownBy(
            () -> DeployerConfig.from(new Env(Map.of(DeployerConfig.STOP_TIMEOUT_ENV, "soon"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(DeployerConfig.STOP_TIMEOUT_ENV);
    assertThatThrownBy(
            () -> DeployerConfig.from(new Env(Map.of(DeployerConfig.HEALTH_PATH_ENV, "up"))))
        .hasMessageContaining(DeployerConfig.HEALTH_PATH_ENV);
    assertThatThrownBy(
            () ->
                DeployerConfig.from(
                    new Env(
                        Map.of(
                            DeployerConfig.STOP_TIMEOUT_ENV, "2m",
                            DeployerConfig.STEP_TIMEOUT_ENV, "1m"))))
        .hasMessageContaining(DeployerConfig.STEP_TIMEOUT_ENV);
  }
}
