package dev.slipway.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reconciler configuration")
class ReconcilerConfigTest {

  @Test
  @DisplayName("unset variables give 100000 log lines per build, kept 7 days, and no replay")
  void defaults() {
    assertThat(ReconcilerConfig.from(new Env(Map.of())))
        .isEqualTo(new ReconcilerConfig(100_000, Duration.ofHours(168), false))
        .isEqualTo(ReconcilerConfig.defaults());
  }

  @Test
  @DisplayName("the log cap, the log retention and the replay flag are read from their variables")
  void reads() {
    ReconcilerConfig config =
        ReconcilerConfig.from(
            new Env(
                Map.of(
                    "SLIPWAY_BUILD_LOG_MAX_LINES",
                    "5000",
                    "SLIPWAY_BUILD_LOG_RETENTION",
                    "30d",
                    "SLIPWAY_RECONCILER_REPLAY",
                    "TRUE")));
    assertThat(config.buildLogMaxLines()).isEqualTo(5000);
    assertThat(config.buildLogRetention()).isEqualTo(Duration.ofDays(30));
    assertThat(config.replay()).isTrue();
    assertThat(
            ReconcilerConfig.from(new Env(Map.of("SLIPWAY_BUILD_LOG_RETENTION", "0s")))
                .buildLogRetention())
        .isZero();
  }

  @Test
  @DisplayName("a log retention that is not a duration names its variable")
  void badLogRetention() {
    refused("SLIPWAY_BUILD_LOG_RETENTION", "-1h", "1w", "forever");
  }

  @Test
  @DisplayName("a log cap too small to hold a log, or not a number, names its variable")
  void badLogCap() {
    refused("SLIPWAY_BUILD_LOG_MAX_LINES", "10", "-1", "lots");
  }

  /** Each value of {@code variable} is refused with a message naming the variable and the value. */
  private static void refused(String variable, String... values) {
    for (String bad : values) {
      assertThatThrownBy(() -> ReconcilerConfig.from(new Env(Map.of(variable, bad))))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(variable)
          .hasMessageContaining(bad);
    }
  }

  @Test
  @DisplayName("a replay flag that is neither true nor false names its variable")
  void badReplay() {
    assertThatThrownBy(
            () -> ReconcilerConfig.from(new Env(Map.of("SLIPWAY_RECONCILER_REPLAY", "maybe"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SLIPWAY_RECONCILER_REPLAY")
        .hasMessageContaining("maybe");
  }
}
