package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.Names;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BuildIdsTest {

  @Test
  @DisplayName("build ids are valid ids, unique, and sort by the time they were made")
  void shape() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String id = BuildIds.next();
      assertThat(id).matches("b-[0-9a-hjkmnp-tv-z]{26}");
      assertThat(Names.isValidId(id)).isTrue();
      assertThat(seen.add(id)).isTrue();
    }
    String earlier = "b-" + BuildIds.ulid(1_700_000_000_000L);
    String later = "b-" + BuildIds.ulid(1_700_000_000_001L);
    assertThat(earlier.substring(0, 12)).isLessThan(later.substring(0, 12));
    assertThat(earlier.compareTo(later)).isNegative();
  }
}
