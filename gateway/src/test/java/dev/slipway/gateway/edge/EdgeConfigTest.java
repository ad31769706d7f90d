package dev.slipway.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Edge router configuration from SLIPWAY_EDGE_* variables")
class EdgeConfigTest {

  @Test
  @DisplayName("defaults: 5 s connect, 60 s upstream timeout, 1 s reports that expire after 5 s")
  void defaults() {
    EdgeConfig config = EdgeConfig.defaults();
    assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.upstreamTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.maxConnectionsPerUpstream()).isEqualTo(256);
    assertThat(config.instances()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(config.reportInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.reportTtl()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  @DisplayName("each variable overrides its default")
  void overrides() {
    EdgeConfig config =
        EdgeConfig.from(
            new Env(
                Map.of(
                    "SLIPWAY_EDGE_CONNECT_TIMEOUT_MS", "250",
                    "SLIPWAY_EDGE_UPSTREAM_TIMEOUT_MS", "1500",
                    "SLIPWAY_EDGE_MAX_CONNECTIONS", "32",
                    "SLIPWAY_EDGE_INSTANCES", "3")));
    assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.upstreamTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.maxConnectionsPerUpstream()).isEqualTo(32);
    assertThat(config.instances()).isEqualTo(3);
  }

  @Test
  @DisplayName("a bad value names its variable")
  void badValues() {
    assertThatThrownBy(
            () -> EdgeConfig.from(new Env(Map.of("SLIPWAY_EDGE_UPSTREAM_TIMEOUT_MS", "soon"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SLIPWAY_EDGE_UPSTREAM_TIMEOUT_MS");
    assertThatThrownBy(() -> EdgeConfig.from(new Env(Map.of("SLIPWAY_EDGE_INSTANCES", "0"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SLIPWAY_EDGE_INSTANCES");
  }

  @Test
  @DisplayName("a report expiring before two intervals have passed is refused")
  void reportExpiry() {
    EdgeConfig d = EdgeConfig.defaults();
    EdgeConfig bad =
        new EdgeConfig(
            d.connectTimeout(),
            d.upstreamTimeout(),
            d.maxConnectionsPerUpstream(),
            d.instances(),
            Duration.ofSeconds(1),
            Duration.ofMillis(1500),
            d.redisTimeout(),
            d.retryAfter());
    assertThatThrownBy(bad::validate).hasMessageContaining("twice");
  }
}
