package dev.slipway.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.LogStream;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.redis.BuildHash;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Mapping build events and log batches to projection changes")
class BuildProjectionTest {

  private final SampleBuild b = new SampleBuild(Instant.parse("2025-03-01T12:00:00.123456789Z"));

  @Test
  @DisplayName("queued sets the request summary and queued_at, and places the build in the list")
  void queued() {
    BuildProjection.Update u = BuildProjection.of(b.queued());
    assertThat(u.status()).isEqualTo("queued");
    assertThat(u.rescore()).isTrue();
    assertThat(u.terminal()).isFalse();
    assertThat(u.fields())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                BuildHash.REPOSITORY, SampleBuild.REPOSITORY,
                BuildHash.REF, "main",
                BuildHash.IMAGE, SampleBuild.IMAGE,
                BuildHash.TAGS, "[\"v1.4.0\",\"latest\"]",
                BuildHash.QUEUED_AT, "2025-03-01T12:00:00.123456Z"));
  }

  @Test
  @DisplayName("a queued event for the default branch leaves ref out instead of storing null")
  void defaultBranch() {
    var queued =
        new dev.slipway.infra.events.BuildEvent.BuildQueued(
            b.id, SampleBuild.REPOSITORY, null, SampleBuild.IMAGE, List.of(), b.at(0));
    assertThat(BuildProjection.of(queued).fields())
        .doesNotContainKey(BuildHash.REF)
        .containsEntry(BuildHash.TAGS, "[]");
  }

  @Test
  @DisplayName("started moves the build to running with its builder and attempt")
  void started() {
    BuildProjection.Update u = BuildProjection.of(b.started("builder-7", 2, 1));
    assertThat(u.status()).isEqualTo("running");
    assertThat(u.rescore()).isFalse();
    assertThat(u.fields())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                BuildHash.BUILDER, "builder-7",
                BuildHash.ATTEMPT, "2",
                BuildHash.STARTED_AT, "2025-03-01T12:00:00.373456Z"));
  }

  @Test
  @DisplayName("a phase change reports the phase for the log stream and changes no status")
  void phase() {
    BuildProjection.Update u = BuildProjection.of(b.phase(BuildPhase.PUSH, 2));
    assertThat(u.status()).isNull();
    assertThat(u.phase()).isEqualTo("push");
    assertThat(u.phaseEntry()).isTrue();
    assertThat(u.fields()).isEmpty();
  }

  @Test
  @DisplayName("succeeded records the image, digest, deploy spec and how many lines to wait for")
  void succeeded() {
    BuildProjection.Update u = BuildProjection.of(b.succeeded(42, 5));
    assertThat(u.status()).isEqualTo("succeeded");
    assertThat(u.terminal()).isTrue();
    assertThat(u.logLines()).isEqualTo(42L);
    assertThat(u.fields())
        .containsEntry(BuildHash.COMMIT_SHA, SampleBuild.COMMIT)
        .containsEntry(BuildHash.IMAGE_ID, SampleBuild.IMAGE_ID)
        .containsEntry(BuildHash.DIGEST, SampleBuild.DIGEST)
        .containsEntry(BuildHash.DEPLOY, Json.toString(SampleBuild.DEPLOY))
        .containsEntry(BuildHash.STARTED_AT, BuildProjection.time(b.at(1)))
        .containsEntry(BuildHash.FINISHED_AT, BuildProjection.time(b.at(5)))
        .doesNotContainKeys(BuildHash.REASON, BuildHash.MESSAGE);
  }

  @Test
  @DisplayName("failed records the reason's wire name, the message and the phase it failed in")
  void failed() {
    BuildProjection.Update u =
        BuildProjection.of(
            b.failed(BuildPhase.PUSH, BuildFailureReason.PUSH_FAILED, "Registry said 401.", 9L, 4));
    assertThat(u.status()).isEqualTo("failed");
    assertThat(u.phase()).isEqualTo("push");
    assertThat(u.phaseEntry()).isFalse();
    assertThat(u.logLines()).isEqualTo(9L);
    assertThat(u.fields())
        .containsEntry(BuildHash.REASON, "push_failed")
        .containsEntry(BuildHash.MESSAGE, "Registry said 401.");
  }

  @Test
  @DisplayName("a failure with an unknown line count closes the log without waiting")
  void lostBuilder() {
    BuildProjection.Update u =
        BuildProjection.of(b.failed(null, BuildFailureReason.BUILDER_LOST, "Lost.", null, 4));
    assertThat(u.logLines()).isNull();
    assertThat(u.phase()).isNull();
  }

  @Test
  @DisplayName("cancelled says for a person when the build was cancelled")
  void cancelled() {
    assertThat(BuildProjection.of(b.cancelled(BuildPhase.BUILD, 3, 4)).fields())
        .containsEntry(BuildHash.MESSAGE, "The build was cancelled during the build phase.")
        .doesNotContainKey(BuildHash.REASON);
    assertThat(
            BuildProjection.of(
                    new dev.slipway.infra.events.BuildEvent.BuildCancelled(b.id, null, 0L, b.at(1)))
                .fields())
        .containsEntry(BuildHash.MESSAGE, "The build was cancelled before it started.");
  }

  @Test
  @DisplayName("projection times have a fixed width, so their string order is their time order")
  void timesSortAsStrings() {
    Instant whole = Instant.parse("2025-03-01T12:00:01Z");
    Instant earlier = Instant.parse("2025-03-01T12:00:00.999999Z");
    assertThat(BuildProjection.time(whole)).isEqualTo("2025-03-01T12:00:01.000000Z");
    assertThat(BuildProjection.time(earlier)).isLessThan(BuildProjection.time(whole));
    assertThat(Instant.parse(BuildProjection.time(earlier))).isEqualTo(earlier);
  }

  @Test
  @DisplayName("a log batch becomes its first seq, last seq and lines as event JSON joined by \\n")
  void logArguments() {
    assertThat(BuildProjection.logArguments(b.lines(7, 9, LogStream.STDERR)))
        .containsExactly("7", "9", json(7) + "\n" + json(8) + "\n" + json(9));
  }

  private String json(int seq) {
    return "{\"seq\":"
        + seq
        + ",\"time\":\""
        + BuildProjection.time(b.t0.plusMillis(seq))
        + "\",\"stream\":\"stderr\",\"text\":\""
        + b.text(seq).replace("\"", "\\\"")
        + "\"}";
  }

  @Test
  @DisplayName(
      "a line's JSON is one line of text that reads back to the same line, whatever the text holds")
  void lineJsonRoundTrips() {
    Random random = new Random(7);
    String alphabet = "ab \"\\/\t\b\f\u0000\u001f\u007fé€ж<>&'";
    for (int i = 0; i < 2_000; i++) {
      StringBuilder text = new StringBuilder();
      for (int n = random.nextInt(30); n > 0; n--) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      LogLine line =
          new LogLine(i + 1, b.t0.plusNanos(i * 1_000L), LogStream.STDOUT, text.toString());
      String json = BuildProjection.lineJson(line, new StringBuilder()).toString();

      assertThat(json).doesNotContain("\n", "\r");
      JsonObject back = new JsonObject(json);
      assertThat(back.fieldNames()).containsExactly("seq", "time", "stream", "text");
      assertThat(back.getLong("seq")).isEqualTo(i + 1L);
      assertThat(back.getString("time")).isEqualTo(BuildProjection.time(line.time()));
      assertThat(back.getString("stream")).isEqualTo("stdout");
      assertThat(back.getString("text")).isEqualTo(text.toString());
    }
  }
}
