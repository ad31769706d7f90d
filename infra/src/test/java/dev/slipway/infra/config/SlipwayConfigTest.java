package dev.slipway.infra.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SlipwayConfigTest {

  private static SlipwayConfig read(Map<String, String> vars) {
    return SlipwayConfig.from(new Env(vars));
  }

  @Test
  @DisplayName("with nothing set, the defaults of the README table apply")
  void defaults() {
    SlipwayConfig config = read(Map.of());
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.edgePort()).isEqualTo(8000);
    assertThat(config.domain()).isEqualTo("localhost");
    assertThat(config.kafkaBootstrapServers()).isEmpty();
    assertThat(config.redisUrl()).hasToString("redis://127.0.0.1:6379");
    assertThat(config.dockerHost()).hasToString("unix:///var/run/docker.sock");
    assertThat(config.dataDir().getFileName()).hasToString(".slipway");
    assertThat(config.apiTokens()).isEmpty();
    assertThat(config.gitSchemes()).containsExactly("https");
    assertThat(config.keyPrefix()).isEqualTo("slipway:");
  }

  @Test
  @DisplayName("set values are read, tokens with their scopes")
  void values() {
    SlipwayConfig config =
        read(
            Map.of(
                "SLIPWAY_HTTP_PORT", "9090",
                "SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092",
                "SLIPWAY_API_TOKENS", "reader-token-0123456789:read, writer-token-0123456789:write",
                "SLIPWAY_GIT_SCHEMES", "https,http",
                "SLIPWAY_KEY_PREFIX", "staging:"));
    assertThat(config.httpPort()).isEqualTo(9090);
    assertThat(config.requireKafka()).isEqualTo("k1:9092,k2:9092");
    assertThat(config.apiTokens())
        .extracting(ApiToken::scope)
        .containsExactly(ApiToken.Scope.READ, ApiToken.Scope.WRITE);
    assertThat(config.gitSchemes()).containsExactlyInAnyOrder("https", "http");
    assertThat(config.keyPrefix()).isEqualTo("staging:");
  }

  @ParameterizedTest(name = "{0}={1} is refused")
  @DisplayName("a bad value is refused with a message naming the variable and what it accepts")
  @CsvSource(
      delimiter = '|',
      value = {
        "SLIPWAY_HTTP_PORT|eighty|whole number from 0 to 65535",
        "SLIPWAY_HTTP_PORT|70000|whole number from 0 to 65535",
        "SLIPWAY_EDGE_PORT|8080|must differ from SLIPWAY_HTTP_PORT",
        "SLIPWAY_REDIS_URL|http://x:6379|scheme of",
        "SLIPWAY_DOCKER_HOST|ftp://docker|scheme of",
        "SLIPWAY_DOMAIN|Not A Domain|is not a DNS name",
        "SLIPWAY_GIT_SCHEMES|https,ssh|not one of https, http, git",
        "SLIPWAY_KEY_PREFIX|no colon|ending in ':'",
        "SLIPWAY_API_TOKENS|short:write|16 characters or more",
        "SLIPWAY_API_TOKENS|long-enough-token-0123:admin|not one of read, write",
        "SLIPWAY_API_TOKENS|no-scope-at-all-0123456789|token:scope pairs",
        "SLIPWAY_KAFKA_PARTITIONS|0|whole number from 1 to 1000",
        "SLIPWAY_KAFKA_BOOTSTRAP_SERVERS|k1:9092;rm -rf|host:port",
      })
  void badValues(String variable, String value, String accepts) {
    assertThatThrownBy(() -> read(Map.of(variable, value)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(variable + ": ")
        .hasMessageContaining(accepts)
        .extracting(e -> ((ConfigException) e).variable())
        .isEqualTo(variable);
  }

  @Test
  @DisplayName("a service running alone refuses to start without Kafka bootstrap servers")
  void kafkaRequiredAlone() {
    assertThatThrownBy(() -> read(Map.of()).requireKafka())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("SLIPWAY_KAFKA_BOOTSTRAP_SERVERS: ");
  }

  @Test
  @DisplayName("a token never shows in its string form")
  void tokenHidden() {
    SlipwayConfig config = read(Map.of("SLIPWAY_API_TOKENS", "very-secret-token-123456:write"));
    assertThat(config.toString()).doesNotContain("very-secret-token-123456");
  }
}
