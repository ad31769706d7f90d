package dev.slipway.reconciler.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The container reconciler's configuration")
class ContainerReconcilerConfigTest {

  @Test
  @DisplayName("defaults to a 30 s resync and a 10 min retention of missing containers")
  void defaults() {
    ContainerReconcilerConfig config = ContainerReconcilerConfig.from(new Env(Map.of()));

    assertThat(config.resyncInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.missingRetention()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  @DisplayName("reads durations written as 500ms, 5s, 2m or 1h")
  void durations() {
    ContainerReconcilerConfig config =
        ContainerReconcilerConfig.from(
            new Env(
                Map.of(
                    "SLIPWAY_RESYNC_INTERVAL", "500ms",
                    "SLIPWAY_MISSING_RETENTION", "2m")));

    assertThat(config.resyncInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.missingRetention()).isEqualTo(Duration.ofMinutes(2));
    assertThat(
            ContainerReconcilerConfig.from(new Env(Map.of("SLIPWAY_MISSING_RETENTION", "1h")))
                .missingRetention())
        .isEqualTo(Duration.ofHours(1));
  }

  @Test
  @DisplayName("a value that is no duration is refused, naming the variable")
  void notADuration() {
    assertThatThrownBy(
            () -> ContainerReconcilerConfig.from(new Env(Map.of("SLIPWAY_RESYNC_INTERVAL", "30"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SLIPWAY_RESYNC_INTERVAL")
        .hasMessageContaining("'30'");
    assertThatThrownBy(
            () ->
                ContainerReconcilerConfig.from(
                    new Env(Map.of("SLIPWAY_MISSING_RETENTION", "ten minutes"))))
        .isInstanceOf(ConfigException.class)
        .extracting(e -> ((ConfigException) e).variable())
        .isEqualTo("SLIPWAY_MISSING_RETENTION");
  }

  @Test
  @DisplayName("a resync interval that would hammer the engine is refused")
  void tooShort() {
    assertThatThrownBy(
            () ->
                ContainerReconcilerConfig.from(new Env(Map.of("SLIPWAY_RESYNC_INTERVAL", "10ms"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SLIPWAY_RESYNC_INTERVAL");
  }
}
