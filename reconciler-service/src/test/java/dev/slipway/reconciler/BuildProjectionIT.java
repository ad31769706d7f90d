package dev.slipway.reconciler;

import static dev.slipway.reconciler.BuildProjection.time;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.BuildLog;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.LogStream;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The build projection on the real Kafka broker and Redis")
class BuildProjectionIT {

  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private static String topicPrefix;
  private static SlipwayConfig config;
  private static TopicSet topics;
  private static RunningReconciler reconciler;
  private static Vertx vertx;
  private static Redis redis;
  private static EventPublisher publisher;
  private static ProjectionReader reader;
  private static RedisKeys keys;

  @BeforeAll
  static void startReconciler() throws Exception {
    topicPrefix = "test-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    String keyPrefix = RedisServer.randomKeyPrefix();
    config = RunningReconciler.config(topicPrefix, keyPrefix);
    topics = TopicSet.withPrefix(topicPrefix);
    // The smallest line limit, so a test can fill a log stream past it.
    reconciler =
        RunningReconciler.start(
            topicPrefix,
            keyPrefix,
            Map.of(
                ReconcilerConfig.LOG_MAX_LINES_ENV,
                String.valueOf(ReconcilerConfig.MIN_LOG_MAX_LINES)));
    vertx = Vertx.vertx();
    redis = RedisClients.create(vertx, RedisServer.url());
    keys = new RedisKeys(keyPrefix);
    reader = new ProjectionReader(redis, keys);
    publisher = new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/slipway/builder", "t");
  }

  @AfterAll
  static void stopReconciler() throws Exception {
    try {
      if (reconciler != null) {
        reconciler.close();
      }
      if (reader != null) {
        reader.deleteAll();
      }
    } finally {
      if (publisher != null) {
        publisher.close();
      }
      if (vertx != null) {
        vertx.close().await(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @DisplayName(
      "a build's events and log batches become its hash, its place in the build list, its log"
          + " stream ending in one status entry, and feed entries")
  void projectsACompleteBuild() throws Exception {
    SampleBuild b = new SampleBuild(Instant.now());
    event(b.queued());
    event(b.started("builder-1", 1, 1));
    event(b.phase(BuildPhase.CLONE, 2));
    log(b.lines(1, 3, LogStream.SYSTEM));
    event(b.phase(BuildPhase.BUILD, 3));
    log(b.lines(4, 4));
    log(b.lines(5, 10, LogStream.STDERR));
    event(b.phase(BuildPhase.PUSH, 4));
    log(b.lines(11, 12));
    event(b.succeeded(12, 5));

    awaitLogComplete(b.id);

    Map<String, String> expected = new HashMap<>();
    expected.put(BuildHash.ID, b.id);
    expected.put(BuildHash.STATUS, "succeeded");
    expected.put(BuildHash.PHASE, "push");
    expected.put(BuildHash.REPOSITORY, SampleBuild.REPOSITORY);
    expected.put(BuildHash.REF, "main");
    expected.put(BuildHash.IMAGE, SampleBuild.IMAGE);
    expected.put(BuildHash.TAGS, "[\"v1.4.0\",\"latest\"]");
    expected.put(BuildHash.QUEUED_AT, time(b.at(0)));
    expected.put(BuildHash.BUILDER, "builder-1");
    expected.put(BuildHash.ATTEMPT, "1");
    expected.put(BuildHash.STARTED_AT, time(b.at(1)));
    expected.put(BuildHash.COMMIT_SHA, SampleBuild.COMMIT);
    expected.put(BuildHash.IMAGE_ID, SampleBuild.IMAGE_ID);
    expected.put(BuildHash.DIGEST, SampleBuild.DIGEST);
    expected.put(BuildHash.DEPLOY, Json.toString(SampleBuild.DEPLOY));
    expected.put(BuildHash.FINISHED_AT, time(b.at(5)));
    expected.put(BuildHash.UPDATED_AT, time(b.at(5)));
    expected.put(BuildHash.LAST_SEQ, "12");
    expected.put(BuildProjection.LOG_LINES, "12");
    expected.put(BuildProjection.LOG_COMPLETE, "true");
    expected.put(
        BuildHash.LOG_EXPIRES_AT,
        b.at(5).plus(ReconcilerConfig.DEFAULT_LOG_RETENTION).toEpochMilli() + "");
    assertThat(reader.hash(b.id)).containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(reader.hash(b.id).get(BuildHash.DEPLOY)).contains("\"app\":\"web\"");

    assertThat(reader.score(b.id)).isEqualTo((double) b.at(0).toEpochMilli());

    List<Map<String, String>> stream = reader.log(b.id);
    assertThat(reader.lineTexts(b.id)).containsExactlyElementsOf(b.texts(1, 12));
    List<String> lines = reader.lineJson(b.id);
    assertThat(lines)
        .extracting(line -> new JsonObject(line).getLong("seq"))
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
    // Each line is stored as the exact JSON the API sends as a log event's data.
    assertThat(lines.get(0))
        .isEqualTo(
            "{\"seq\":1,\"time\":\""
                + time(b.t0.plusMillis(1))
                + "\",\"stream\":\"system\",\"text\":\""
                + b.text(1).replace("\"", "\\\"")
                + "\"}");
    assertThat(new JsonObject(lines.get(5)).getString("stream")).isEqualTo("stderr");
    // One entry per batch, whatever its size, each naming its first and last line.
    assertThat(ofType(stream, "log"))
        .extracting(e -> e.get(BuildHash.Log.FIRST) + "-" + e.get(BuildHash.Log.LAST))
        .containsExactly("1-3", "4-4", "5-10", "11-12");
    assertThat(ofType(stream, "phase"))
        .extracting(e -> e.get(BuildHash.Log.PHASE))
        .containsExactly("clone", "build", "push");
    assertThat(ofType(stream, "status")).hasSize(1);
    assertThat(stream.getLast())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                BuildHash.Log.TYPE, "status",
                BuildHash.Log.STATUS, "succeeded",
                BuildHash.Log.TIME, time(b.at(5))));

    assertThat(feedChanges(b.id))
        .containsExactly(
            "queued/-",
            "running/-",
            "running/clone",
            "running/build",
            "running/push",
            "succeeded/push");
    assertThat(reader.feed(b.id).getLast())
        .containsEntry(BuildProjection.FEED_KIND, "build")
        .containsEntry(BuildProjection.FEED_TIME, time(b.at(5)));
  }

  @Test
  @DisplayName(
      "a build that finishes before its last log lines are projected ends its log stream with the"
          + " status entry after those lines")
  void terminalBeforeLastLines() throws Exception {
    SampleBuild b = new SampleBuild(Instant.now());
    event(b.queued());
    event(b.started("builder-1", 1, 1));
    event(b.phase(BuildPhase.BUILD, 2));
    log(b.lines(1, 5));
    event(b.succeeded(8, 3));

    await()
        .atMost(DEADLINE)
        .until(
            () -> {
              Map<String, String> hash = reader.hash(b.id);
              return "succeeded".equals(hash.get(BuildHash.STATUS))
                  && "5".equals(hash.get(BuildHash.LAST_SEQ));
            });
    // The build is over, but three of its lines are still on their way: no status entry yet.
    assertThat(ofType(reader.log(b.id), "status")).isEmpty();
    assertThat(reader.hash(b.id)).doesNotContainKey(BuildProjection.LOG_COMPLETE);

    log(b.lines(6, 8));

    awaitLogComplete(b.id);
    List<Map<String, String>> stream = reader.log(b.id);
    assertThat(reader.lineTexts(b.id)).containsExactlyElementsOf(b.texts(1, 8));
    assertThat(ofType(stream, "status")).hasSize(1);
    assertThat(stream.getLast())
        .containsEntry(BuildHash.Log.TYPE, "status")
        .containsEntry(BuildHash.Log.STATUS, "succeeded");
  }

  @Test
  @DisplayName(
      "a finished build's log stream goes the log retention after the build's end, lines arriving"
          + " late included; replayed builds that ended longer ago keep no log stream, only their"
          + " hash")
  void logRetention() throws Exception {
    long retention = ReconcilerConfig.DEFAULT_LOG_RETENTION.toMillis();

    SampleBuild recent = new SampleBuild(Instant.now());
    event(recent.queued());
    event(recent.started("builder-1", 1, 1));
    log(recent.lines(1, 5));
    event(recent.succeeded(5, 3));
    awaitLogComplete(recent.id);
    long deadline = recent.at(3).toEpochMilli() + retention;
    assertThat(reader.hash(recent.id)).containsEntry(BuildHash.LOG_EXPIRES_AT, deadline + "");
    assertThat(expiresAt(recent.id)).isEqualTo(deadline);
    assertThat(reader.lineTexts(recent.id)).containsExactlyElementsOf(recent.texts(1, 5));

    // Ended before the retention: its last lines come after the terminal event, as in a replay
    // of the topics from the start.
    SampleBuild old =
        new SampleBuild(
            Instant.now().minus(ReconcilerConfig.DEFAULT_LOG_RETENTION).minusSeconds(60));
    event(old.queued());
    event(old.started("builder-1", 1, 1));
    log(old.lines(1, 5));
    event(old.succeeded(8, 3));
    await()
        .atMost(DEADLINE)
        .until(() -> "succeeded".equals(reader.hash(old.id).get(BuildHash.STATUS)));
    assertThat(reader.hash(old.id))
        .containsEntry(BuildHash.LOG_EXPIRES_AT, old.at(3).toEpochMilli() + retention + "");
    assertThat(exists(keys.buildLog(old.id))).isFalse();
    awaitHandled(ReconcilerModule.buildLogsGroup(config), log(old.lines(6, 8)));
    assertThat(exists(keys.buildLog(old.id))).isFalse();
    assertThat(reader.hash(old.id)).containsEntry(BuildHash.LAST_SEQ, "8");
  }

  @Test
  @DisplayName(
      "with the log retention at 0s a finished build's log stream is kept for good, however long"
          + " ago it ended")
  void retentionZeroKeepsLogs() throws Exception {
    // The scripts run straight on the real Redis with their own settings; the reconciler under
    // test keeps the default retention.
    BuildProjectionStore keepAll =
        new BuildProjectionStore(
            redis,
            keys,
            new ReconcilerConfig(ReconcilerConfig.MIN_LOG_MAX_LINES, Duration.ZERO, false));
    SampleBuild old =
        new SampleBuild(
            Instant.now().minus(ReconcilerConfig.DEFAULT_LOG_RETENTION).minusSeconds(60));
    keepAll.apply(BuildProjection.of(old.queued())).await(10, TimeUnit.SECONDS);
    keepAll.apply(BuildProjection.of(old.started("builder-1", 1, 1))).await(10, TimeUnit.SECONDS);
    keepAll.append(old.lines(1, 5)).await(10, TimeUnit.SECONDS);
    keepAll.apply(BuildProjection.of(old.succeeded(8, 3))).await(10, TimeUnit.SECONDS);
    keepAll.append(old.lines(6, 8)).await(10, TimeUnit.SECONDS);

    assertThat(reader.hash(old.id))
        .containsEntry(BuildProjection.LOG_COMPLETE, "true")
        .doesNotContainKey(BuildHash.LOG_EXPIRES_AT);
    assertThat(expiresAt(old.id)).isEqualTo(-1);
    assertThat(reader.lineTexts(old.id)).containsExactlyElementsOf(old.texts(1, 8));
  }

  /** The log stream's expiry as epoch ms (Redis PEXPIRETIME), -1 when it has none. */
  private static long expiresAt(String buildId) throws Exception {
    return redis
        .send(Request.cmd(Command.PEXPIRETIME).arg(keys.buildLog(buildId)))
        .await(10, TimeUnit.SECONDS)
        .toLong();
  }

  private static boolean exists(String key) throws Exception {
    return redis.send(Request.cmd(Command.EXISTS).arg(key)).await(10, TimeUnit.SECONDS).toLong()
        > 0;
  }

  @Test
  @DisplayName(
      "a log stream keeps about its line limit: the oldest batches go whole, the phase entries and"
          + " the batch across the limit stay")
  void trimsToTheLineLimit() throws Exception {
    int limit = ReconcilerConfig.MIN_LOG_MAX_LINES;
    SampleBuild b = new SampleBuild(Instant.now());
    event(b.queued());
    event(b.started("builder-1", 1, 1));
    event(b.phase(BuildPhase.BUILD, 2));
    // 43 batches of 7 lines: 1-7, 8-14, …, 295-301.
    RecordMetadata lastBatch = null;
    for (int first = 1; first <= 295; first += 7) {
      lastBatch = log(b.lines(first, first + 6));
    }
    awaitHandled(ReconcilerModule.buildLogsGroup(config), lastBatch);

    // The newest `limit` lines (202-301) must stay, so the batch holding line 202 (197-203) stays
    // whole; every batch before it ends at or before line 201 and goes.
    int firstKept = (301 - limit) / 7 * 7 + 1;
    assertThat(firstKept).isEqualTo(197);
    assertThat(reader.lineTexts(b.id)).containsExactlyElementsOf(b.texts(firstKept, 301));
    // The phase entry comes from the build events projector, which the wait above did not cover.
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(ofType(reader.log(b.id), "phase"))
                    .extracting(e -> e.get(BuildHash.Log.PHASE))
                    .containsExactly("build"));
    assertThat(reader.hash(b.id)).containsEntry(BuildHash.LAST_SEQ, "301");
  }

  @Test
  @DisplayName("events and log batches delivered twice have the effect of one delivery")
  void duplicatesHaveOneEffect() throws Exception {
    SampleBuild b = new SampleBuild(Instant.now());
    // The same CloudEvent twice (a redelivery) and the same data as two events (a republish).
    CloudEvent<BuildEvent> queued = CloudEvent.of("/slipway/builder", b.id, b.queued());
    publisher.publish(topics.buildEvents(), b.id, queued).await(10, TimeUnit.SECONDS);
    publisher.publish(topics.buildEvents(), b.id, queued).await(10, TimeUnit.SECONDS);
    event(b.started("builder-1", 1, 1));
    event(b.started("builder-1", 1, 1));
    event(b.phase(BuildPhase.CLONE, 2));
    event(b.phase(BuildPhase.CLONE, 2));
    log(b.lines(1, 4));
    log(b.lines(1, 4));
    log(b.lines(3, 6));
    event(b.phase(BuildPhase.BUILD, 3));
    // A redelivery of the older phase event must not take the build back to clone.
    event(b.phase(BuildPhase.CLONE, 2));
    event(b.succeeded(6, 4));
    RecordMetadata lastEvent = event(b.succeeded(6, 4));
    RecordMetadata lastBatch = log(b.lines(5, 6));

    awaitHandled(ReconcilerModule.buildEventsGroup(config), lastEvent);
    awaitHandled(ReconcilerModule.buildLogsGroup(config), lastBatch);

    List<Map<String, String>> stream = reader.log(b.id);
    assertThat(reader.lineTexts(b.id)).containsExactlyElementsOf(b.texts(1, 6));
    assertThat(ofType(stream, "phase"))
        .extracting(e -> e.get(BuildHash.Log.PHASE))
        .containsExactly("clone", "build");
    assertThat(ofType(stream, "status")).hasSize(1);
    assertThat(stream.getLast()).containsEntry(BuildHash.Log.STATUS, "succeeded");
    // Only new lines make an entry: 1-4, then 5-6 of the overlapping batch; nothing else.
    assertThat(ofType(stream, "log"))
        .extracting(e -> e.get(BuildHash.Log.FIRST) + "-" + e.get(BuildHash.Log.LAST))
        .containsExactly("1-4", "5-6");
    assertThat(stream).hasSize(2 + 2 + 1);
    assertThat(feedChanges(b.id))
        .containsExactly(
            "queued/-", "running/-", "running/clone", "running/build", "succeeded/build");
    assertThat(reader.hash(b.id))
        .containsEntry(BuildHash.PHASE, "build")
        .containsEntry(BuildHash.LAST_SEQ, "6")
        .containsEntry(BuildHash.UPDATED_AT, time(b.at(4)));
  }

  @Test
  @DisplayName("a started or phase event arriving after the build succeeded does not move it back")
  void lateEventsDoNotRegress() throws Exception {
    SampleBuild b = new SampleBuild(Instant.now());
    event(b.queued());
    event(b.started("builder-1", 1, 1));
    event(b.phase(BuildPhase.BUILD, 2));
    log(b.lines(1, 2));
    event(b.succeeded(2, 3));
    event(b.started("builder-2", 2, 4));
    event(b.phase(BuildPhase.CLONE, 5));
    // An older queued event, as a redelivery from before the build started would bring.
    RecordMetadata last = event(b.queued());

    awaitHandled(ReconcilerModule.buildEventsGroup(config), last);
    awaitLogComplete(b.id);

    assertThat(reader.hash(b.id))
        .containsEntry(BuildHash.STATUS, "succeeded")
        .containsEntry(BuildHash.BUILDER, "builder-1")
        .containsEntry(BuildHash.ATTEMPT, "1")
        .containsEntry(BuildHash.PHASE, "build")
        .containsEntry(BuildHash.UPDATED_AT, time(b.at(3)));
    assertThat(reader.log(b.id).getLast()).containsEntry(BuildHash.Log.STATUS, "succeeded");
    assertThat(ofType(reader.log(b.id), "phase")).hasSize(1);
    assertThat(feedChanges(b.id).getLast()).isEqualTo("succeeded/build");
  }

  @Test
  @DisplayName(
      "failed and cancelled builds carry their reason and message in the hash and in the status"
          + " entry that ends their log")
  void failedAndCancelled() throws Exception {
    SampleBuild failed = new SampleBuild(Instant.now());
    String notFound = "Branch 'release' does not exist in " + SampleBuild.REPOSITORY + ".";
    event(failed.queued());
    event(failed.started("builder-1", 1, 1));
    event(failed.phase(BuildPhase.CLONE, 2));
    log(failed.lines(1, 2, LogStream.SYSTEM));
    event(failed.failed(BuildPhase.CLONE, BuildFailureReason.REF_NOT_FOUND, notFound, 2L, 3));

    SampleBuild cancelled = new SampleBuild(Instant.now());
    event(cancelled.queued());
    event(cancelled.started("builder-1", 1, 1));
    event(cancelled.phase(BuildPhase.BUILD, 2));
    log(cancelled.lines(1, 1));
    event(cancelled.cancelled(BuildPhase.BUILD, 1, 3));

    // The builder running it was lost: nobody knows how many lines it sent.
    SampleBuild lost = new SampleBuild(Instant.now());
    event(lost.queued());
    event(lost.started("builder-9", 1, 1));
    event(
        lost.failed(
            null,
            BuildFailureReason.BUILDER_LOST,
            "Builder builder-9 stopped answering.",
            null,
            2));

    awaitLogComplete(failed.id);
    awaitLogComplete(cancelled.id);
    awaitLogComplete(lost.id);

    assertThat(reader.hash(failed.id))
        .containsEntry(BuildHash.STATUS, "failed")
        .containsEntry(BuildHash.REASON, "ref_not_found")
        .containsEntry(BuildHash.MESSAGE, notFound)
        .containsEntry(BuildHash.PHASE, "clone")
        .containsEntry(BuildHash.FINISHED_AT, time(failed.at(3)));
    assertThat(reader.log(failed.id).getLast())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                BuildHash.Log.TYPE, "status",
                BuildHash.Log.STATUS, "failed",
                BuildHash.Log.REASON, "ref_not_found",
                BuildHash.Log.MESSAGE, notFound,
                BuildHash.Log.TIME, time(failed.at(3))));
    assertThat(reader.lineTexts(failed.id)).containsExactlyElementsOf(failed.texts(1, 2));

    assertThat(reader.hash(cancelled.id))
        .containsEntry(BuildHash.STATUS, "cancelled")
        .containsEntry(BuildHash.MESSAGE, "The build was cancelled during the build phase.")
        .doesNotContainKey(BuildHash.REASON);
    assertThat(reader.log(cancelled.id).getLast())
        .containsEntry(BuildHash.Log.STATUS, "cancelled")
        .containsEntry(BuildHash.Log.MESSAGE, "The build was cancelled during the build phase.");
    assertThat(feedChanges(cancelled.id).getLast()).isEqualTo("cancelled/build");

    assertThat(reader.hash(lost.id))
        .containsEntry(BuildHash.STATUS, "failed")
        .containsEntry(BuildHash.REASON, "builder_lost")
        .doesNotContainKey(BuildHash.PHASE)
        .doesNotContainKey(BuildProjection.LOG_LINES);
    assertThat(reader.log(lost.id))
        .singleElement()
        .satisfies(e -> assertThat(e).containsEntry(BuildHash.Log.REASON, "builder_lost"));
  }

  @Test
  @DisplayName(
      "a build event whose Redis write fails is retried, its offset uncommitted until the write"
          + " succeeds")
  void failedWriteIsRetried() throws Exception {
    SampleBuild b = new SampleBuild(Instant.now());
    String key = reader.keys().build(b.id);
    // A string where the hash belongs: every script on it fails with WRONGTYPE.
    reader.send(Request.cmd(Command.SET).arg(key).arg("in the way"));
    RecordMetadata queued = event(b.queued());
    String group = ReconcilerModule.buildEventsGroup(config);
    TopicPartition partition = new TopicPartition(queued.topic(), queued.partition());

    await()
        .during(Duration.ofSeconds(2))
        .atMost(DEADLINE)
        .until(() -> committed(group, partition) <= queued.offset());
    assertThat(reader.send(Request.cmd(Command.GET).arg(key)).toString()).isEqualTo("in the way");

    reader.send(Request.cmd(Command.DEL).arg(key));

    await().atMost(DEADLINE).until(() -> "queued".equals(reader.hash(b.id).get(BuildHash.STATUS)));
    awaitHandled(group, queued);
  }

  private static RecordMetadata event(BuildEvent event) throws Exception {
    return publisher
        .publish(topics.buildEvents(), event.buildId(), event)
        .await(10, TimeUnit.SECONDS);
  }

  private static RecordMetadata log(BuildLog batch) throws Exception {
    return publisher.publish(topics.buildLogs(), batch.key(), batch).await(10, TimeUnit.SECONDS);
  }

  private static void awaitLogComplete(String buildId) {
    await()
        .atMost(DEADLINE)
        .until(() -> "true".equals(reader.hash(buildId).get(BuildProjection.LOG_COMPLETE)));
  }

  /** Waits until the group committed past {@code last}: it and everything before it is done. */
  private static void awaitHandled(String group, RecordMetadata last) {
    TopicPartition partition = new TopicPartition(last.topic(), last.partition());
    await().atMost(DEADLINE).until(() -> committed(group, partition) > last.offset());
  }

  private static long committed(String group, TopicPartition partition) {
    OffsetAndMetadata offset = KafkaBroker.committed(group).get(partition);
    return offset == null ? -1 : offset.offset();
  }

  private static List<Map<String, String>> ofType(List<Map<String, String>> stream, String type) {
    return stream.stream().filter(e -> type.equals(e.get(BuildHash.Log.TYPE))).toList();
  }

  /** The build's feed entries as {@code status/phase}, {@code -} for no phase. */
  private static List<String> feedChanges(String buildId) throws Exception {
    return reader.feed(buildId).stream()
        .map(
            e ->
                e.get(BuildProjection.FEED_STATUS)
                    + "/"
                    + e.getOrDefault(BuildProjection.FEED_PHASE, "-"))
        .toList();
  }
}
