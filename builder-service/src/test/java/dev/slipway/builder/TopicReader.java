package dev.slipway.builder;

import static org.awaitility.Awaitility.await;

import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildEvent.BuildCancelled;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildLog;
import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.KafkaClients;
import dev.slipway.infra.testing.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;

/**
 * Reads what the builder publishes, as any other consumer would: a plain Kafka consumer on the
 * build event and log topics from the beginning, without a group.
 */
final class TopicReader implements AutoCloseable {

  private final TopicSet topics;
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<ConsumerRecord<String, byte[]>> records = new CopyOnWriteArrayList<>();
  private final Thread poller;
  private volatile boolean stop;

  TopicReader(TopicSet topics) {
    this.topics = topics;
    Map<String, Object> props =
        new java.util.HashMap<>(
            KafkaClients.consumer(
                KafkaBroker.bootstrapServers(), "unused-" + UUID.randomUUID(), "test-reader"));
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumer = new KafkaConsumer<>(props);
    List<TopicPartition> partitions = new ArrayList<>();
    for (Topic<?> topic : List.of(topics.buildEvents(), topics.buildLogs())) {
      consumer
          .partitionsFor(topic.name(), Duration.ofSeconds(10))
          .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    poller = Thread.ofVirtual().name("test-topic-reader").start(this::poll);
  }

  private void poll() {
    try {
      while (!stop) {
        consumer.poll(Duration.ofMillis(50)).forEach(records::add);
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  /** The build's events, in order. */
  List<BuildEvent> events(String buildId) {
    return records.stream()
        .filter(r -> r.topic().equals(topics.buildEvents().name()))
        .filter(r -> buildId.equals(r.key()))
        .map(r -> CloudEventCodec.decode(topics.buildEvents(), r).data())
        .toList();
  }

  /** The build's events with their CloudEvents attributes. */
  List<CloudEvent<BuildEvent>> cloudEvents(String buildId) {
    return records.stream()
        .filter(r -> r.topic().equals(topics.buildEvents().name()))
        .filter(r -> buildId.equals(r.key()))
        .map(r -> CloudEventCodec.decode(topics.buildEvents(), r))
        .toList();
  }

  /** The build's log lines, in the order they were published. */
  List<LogLine> lines(String buildId) {
    List<LogLine> lines = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      if (r.topic().equals(topics.buildLogs().name()) && buildId.equals(r.key())) {
        BuildLog log = CloudEventCodec.decode(topics.buildLogs(), r).data();
        lines.addAll(((BuildLogBatch) log).lines());
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
    stop = true;
    consumer.wakeup();
    try {
      poller.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
