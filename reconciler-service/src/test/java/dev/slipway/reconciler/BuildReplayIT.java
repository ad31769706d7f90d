package dev.slipway.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.BuildLog;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Rebuilding the build projection by replaying the build topics")
class BuildReplayIT {

  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final String topicPrefix = "test-" + UUID.randomUUID().toString().substring(0, 8) + ".";
  private final String keyPrefix = RedisServer.randomKeyPrefix();
  private final TopicSet topics = TopicSet.withPrefix(topicPrefix);
  private Vertx vertx;
  private EventPublisher publisher;
  private ProjectionReader reader;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    reader =
        new ProjectionReader(
            RedisClients.create(vertx, RedisServer.url()), new RedisKeys(keyPrefix));
    publisher = new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/slipway/builder", "t");
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      reader.deleteAll();
    } finally {
      publisher.close();
      vertx.close().await(20, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName(
      "a reconciler started with SLIPWAY_RECONCILER_REPLAY=true rebuilds the same projection into"
          + " an empty Redis")
  void replayRebuildsTheSameProjection() throws Exception {
    SampleBuild ok = new SampleBuild(Instant.now());
    SampleBuild failed = new SampleBuild(Instant.now().plusMillis(1));
    SampleBuild cancelled = new SampleBuild(Instant.now().plusMillis(2));
    List<SampleBuild> builds = List.of(ok, failed, cancelled);

    try (RunningReconciler first = RunningReconciler.start(topicPrefix, keyPrefix, Map.of())) {
      for (SampleBuild b : builds) {
        event(b.queued());
        event(b.started("builder-1", 1, 1));
        event(b.phase(BuildPhase.CLONE, 2));
        log(b.lines(1, 3));
      }
      event(ok.phase(BuildPhase.BUILD, 3));
      log(ok.lines(4, 20));
      // Finished before its last batch went out.
      event(ok.succeeded(25, 4));
      log(ok.lines(21, 25));
      event(failed.failed(BuildPhase.CLONE, BuildFailureReason.AUTH_FAILED, "Denied.", 3L, 3));
      event(cancelled.cancelled(BuildPhase.CLONE, 3, 3));
      for (SampleBuild b : builds) {
        awaitLogComplete(b.id);
      }
    }
    Map<String, Object> projected = snapshot(builds);

    reader.deleteAll();
    assertThat(reader.allKeys()).isEmpty();

    try (RunningReconciler replaying =
        RunningReconciler.start(
            topicPrefix, keyPrefix, Map.of(ReconcilerConfig.REPLAY_ENV, "true"))) {
      for (SampleBuild b : builds) {
        awaitLogComplete(b.id);
      }
      Map<String, Object> replayed = snapshot(builds);
      assertThat(replayed).isEqualTo(projected);
    }
    assertThat(reader.lineTexts(ok.id)).containsExactlyElementsOf(ok.texts(1, 25));
  }

  /**
   * Everything a reader sees of the builds, stream ids aside. Log lines, phase entries and the
   * status entry are compared as their own sequences: where a phase entry falls among the lines
   * depends on which topic's consumer got there first.
   */
  private Map<String, Object> snapshot(List<SampleBuild> builds) throws Exception {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("builds", reader.builds());
    for (SampleBuild b : builds) {
      List<Map<String, String>> stream = reader.log(b.id);
      all.put(b.id + " hash", reader.hash(b.id));
      all.put(b.id + " lines", ofType(stream, "log"));
      all.put(b.id + " phases", ofType(stream, "phase"));
      all.put(b.id + " last", stream.getLast());
      all.put(b.id + " statuses", ofType(stream, "status").size());
      all.put(b.id + " feed", reader.feed(b.id));
    }
    return all;
  }

  private static List<Map<String, String>> ofType(List<Map<String, String>> stream, String type) {
    return stream.stream().filter(e -> type.equals(e.get(BuildHash.Log.TYPE))).toList();
  }

  private void event(BuildEvent event) throws Exception {
    publisher.publish(topics.buildEvents(), event.buildId(), event).await(10, TimeUnit.SECONDS);
  }

  private void log(BuildLog batch) throws Exception {
    publisher.publish(topics.buildLogs(), batch.key(), batch).await(10, TimeUnit.SECONDS);
  }

  private void awaitLogComplete(String buildId) {
    await()
        .atMost(DEADLINE)
        .until(() -> "true".equals(reader.hash(buildId).get(BuildProjection.LOG_COMPLETE)));
  }
}
