package dev.slipway.builder;

import static org.awaitility.Awaitility.await;

import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildEvent.BuildCancelled;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildLog;
import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.TopicRecorder;
import dev.slipway.infra.testing.TopicRecorder.Received;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads what the builder publishes, as any other consumer would: the build event and log topics
 * from the beginning, in the background.
 */
final class TopicReader implements AutoCloseable {

  private final TopicRecorder<BuildEvent> events;
  private final TopicRecorder<BuildLog> logs;

  TopicReader(TopicSet topics) {
    events = new TopicRecorder<>(topics.buildEvents());
    logs = new TopicRecorder<>(topics.buildLogs());
  }

  /** The build's events, in order. */
  List<BuildEvent> events(String buildId) {
    return events.all().stream().filter(r -> buildId.equals(r.key())).map(Received::event).toList();
  }

  /** The build's log lines, in the order they were published. */
  List<LogLine> lines(String buildId) {
    List<LogLine> lines = new ArrayList<>();
    for (Received<BuildLog> r : logs.all()) {
      if (buildId.equals(r.key()) && r.event() instanceof BuildLogBatch batch) {
        lines.addAll(batch.lines());
      }
    }
    return lines;
  }

  List<String> texts(String buildId) {
    return lines(buildId).stream().map(LogLine::text).toList();
  }

  /** The build's verdict, once it is out. */
  BuildEvent terminal(String buildId) {
    return events(buildId).stream().filter(BuildEvent::terminal).findFirst().orElse(null);
  }

  /**
   * Waits until this reader has the last log line {@code verdict} counts. The builder has every
   * line acked before it publishes the verdict, but lines and verdict are on two topics, which this
   * reader gets in no set order: the verdict can be here before the last lines are.
   */
  void awaitLastLine(String buildId, BuildEvent verdict, Duration deadline) {
    Long last =
        switch (verdict) {
          case BuildSucceeded s -> s.logLines();
          case BuildFailed f -> f.logLines();
          case BuildCancelled c -> c.logLines();
          default -> null;
        };
    if (last != null && last > 0) {
      // Checked at once, so a caller timing the verdict is not held up when the lines are in.
      await("log line " + last + " of " + buildId)
          .atMost(deadline)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> lines(buildId).stream().anyMatch(l -> l.seq() == last));
    }
  }

  /**
   * Every key, value and header byte on every topic of {@code topics} (commands, events, logs,
   * credentials, ...), read from the beginning to the current end.
   */
  static List<byte[]> everything(TopicSet topics) {
    List<byte[]> all = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r :
        KafkaBroker.readToEnd(topics.all().stream().map(Topic::name).toList())) {
      if (r.key() != null) {
        all.add(r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      if (r.value() != null) {
        all.add(r.value());
      }
      for (Header h : r.headers()) {
        all.add(h.value());
      }
    }
    return all;
  }

  @Override
  public void close() {
    events.close();
    logs.close();
  }
}
