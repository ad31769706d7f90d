package dev.slipway.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.Color;
import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.DeployEvent.AppRemoved;
import dev.slipway.infra.events.DeployEvent.DeployFailed;
import dev.slipway.infra.events.DeployEvent.DeployRolledBack;
import dev.slipway.infra.events.DeployEvent.DeployStarted;
import dev.slipway.infra.events.DeployEvent.DeploySucceeded;
import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.DeploySpec.Strategy;
import dev.slipway.infra.events.SampleEvents;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Deploy events folded back into app state")
class DeployHistoryTest {

  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static DeploySpec spec(String image) {
    return SampleEvents.minimalSpec("web", image, Strategy.BLUE_GREEN, 80, null);
  }

  private static DeploySucceeded succeeded(String id, long revision, String image) {
    return new DeploySucceeded(
        id, "web", revision, Color.BLUE, "c" + revision, "127.0.0.1:1", spec(image), T);
  }

  @Test
  @DisplayName("the last succeeded or rolled-back revision is live, with every spec in the history")
  void liveAndHistory() {
    Map<String, DeployHistory.AppHistory> apps =
        DeployHistory.fold(
            List.of(
                new DeployStarted("d1", "web", Strategy.BLUE_GREEN, T),
                succeeded("d1", 1, "web:1"),
                new DeployStarted("d2", "web", Strategy.BLUE_GREEN, T),
                succeeded("d2", 2, "web:2"),
                new DeployStarted("r1", "web", Strategy.BLUE_GREEN, T),
                new DeployRolledBack("r1", "web", 2, 1, "asked", T),
                new DeployStarted("d3", "web", Strategy.BLUE_GREEN, T),
                new DeployFailed("d3", "web", DeployPhase.HEALTH_GATE, "health_timeout", "m", T)));
    DeployHistory.AppHistory web = apps.get("web");
    assertThat(web.live().revision()).isEqualTo(1);
    assertThat(web.live().spec().image()).isEqualTo("web:1");
    assertThat(web.liveDeployment()).isEqualTo("r1");
    assertThat(web.lastRevision()).isEqualTo(2);
    assertThat(web.revisions()).extracting(RevisionEntry::revision).containsExactly(2L, 1L);
    assertThat(web.interrupted()).isNull();
    assertThat(web.deployments()).containsExactlyInAnyOrder("d1", "d2", "r1", "d3");
  }

  @Test
  @DisplayName("a deployment that started and has no outcome is the interrupted one")
  void interrupted() {
    DeployHistory.AppHistory web =
        DeployHistory.fold(
                List.of(
                    new DeployStarted("d1", "web", Strategy.BLUE_GREEN, T),
                    succeeded("d1", 1, "web:1"),
                    new DeployEvent.DeployPhaseChanged("d1", "web", DeployPhase.SWITCH, T),
                    new DeployStarted("d2", "web", Strategy.BLUE_GREEN, T),
                    new DeployEvent.DeployPhaseChanged("d2", "web", DeployPhase.START, T)))
            .get("web");
    assertThat(web.interrupted()).isEqualTo("d2");
    assertThat(web.live().revision()).isEqualTo(1);
  }

  @Test
  @DisplayName(
      "a removed app has nothing live, but remembers its deployments, and keeps at most 20 revisions")
  void removedAndCapped() {
    List<DeployEvent> events = new ArrayList<>();
    for (int i = 1; i <= 25; i++) {
      events.add(succeeded("d" + i, i, "web:" + i));
    }
    assertThat(DeployHistory.fold(events).get("web").revisions()).hasSize(20);
    events.add(new AppRemoved("rm", "web", T));
    DeployHistory.AppHistory web = DeployHistory.fold(events).get("web");
    assertThat(web.live()).isNull();
    assertThat(web.revisions()).isEmpty();
    assertThat(web.deployments()).contains("d1", "d25", "rm");
  }
}
