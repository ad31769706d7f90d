package dev.slipway.infra.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.DeploySpec.Strategy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Deploy request rules")
class DeployRequestRulesTest {

  private final DeployRequestRules rules = new DeployRequestRules();

  private static DeploySpec spec(Strategy strategy, List<String> volumes, DeploySpec.HealthSpec h) {
    return new DeploySpec(
        "shop",
        "team/shop:1",
        strategy,
        8080,
        Map.of("A", "b"),
        h,
        null,
        volumes,
        null,
        null,
        null);
  }

  @Test
  @DisplayName("a valid spec has no violation")
  void valid() {
    assertThat(rules.check(spec(Strategy.BLUE_GREEN, List.of("cache:/c:ro"), null))).isEmpty();
    assertThat(rules.check(spec(Strategy.RECREATE, List.of("data:/d"), null))).isEmpty();
  }

  @Test
  @DisplayName("a read-write volume under blue-green is refused on volumes, saying what to do")
  void readWriteVolumeBlueGreen() {
    List<Violation> v = rules.check(spec(Strategy.BLUE_GREEN, List.of("data:/d"), null));
    assertThat(v).extracting(Violation::field).containsExactly("volumes");
    assertThat(v.get(0).message()).contains("use strategy recreate, or mount it read-only");
  }

  @Test
  @DisplayName("a zero interval and a duration over an hour are refused on their field")
  void durations() {
    List<Violation> v =
        rules.check(
            spec(
                Strategy.BLUE_GREEN,
                List.of(),
                new DeploySpec.HealthSpec("/up", "0s", "2h", null, null, null)));
    assertThat(v).extracting(Violation::field).containsExactly("health.interval", "health.timeout");
  }
}
