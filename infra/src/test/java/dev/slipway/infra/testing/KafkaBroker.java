package dev.slipway.infra.testing;

import dev.slipway.infra.events.SlipwayEvent;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EmbeddedKafkaBroker;
import dev.slipway.infra.kafka.KafkaClients;
import dev.slipway.infra.kafka.TopicAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The real single-node KRaft broker for tests: started once per JVM in a temporary directory on a
 * free loopback port, stopped and deleted at JVM exit. Tests isolate themselves with random topic
 * and group names.
 */
public final class KafkaBroker {

  private static EmbeddedKafkaBroker broker;

  private KafkaBroker() {}

  /** Starts the broker on first use; about 1.5 s. */
  public static synchronized String bootstrapServers() {
    if (broker == null) {
      try {
        Path dir = Files.createTempDirectory("slipway-kafka-test");
        broker = EmbeddedKafkaBroker.start(dir, 0);
        EmbeddedKafkaBroker started = broker;
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      started.close();
                      deleteTree(dir);
                    }));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return broker.bootstrapServers();
  }

  /** A fresh topic with a random name carrying {@code template}'s events, created now. */
  public static <T extends SlipwayEvent> Topic<T> randomTopic(Topic<T> template, int partitions) {
    Topic<T> topic = template.withName("test-" + template.name() + "-" + random());
    try {
      TopicAdmin.ensure(bootstrapServers(), List.of(topic), partitions, (short) 1);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create topic " + topic.name(), e);
    }
    return topic;
  }

  public static String randomGroup() {
    return "test-group-" + random();
  }

  /** The group's committed offsets on {@code topic}, by partition; absent when none. */
  public static Map<TopicPartition, OffsetAndMetadata> committed(String group) {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrapServers()))) {
      return admin
          .listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read offsets of " + group, e);
    }
  }

  /**
   * Every record on {@code topics} from the beginning to their end as of now, read without a
   * consumer group, ordered by topic, partition and offset.
   *
   * @throws IllegalStateException when the end is not reached within 30 s
   */
  public static List<ConsumerRecord<String, byte[]>> readToEnd(Collection<String> topics) {
    Map<String, Object> props =
        new HashMap<>(KafkaClients.consumer(bootstrapServers(), "unused", "test-read-to-end"));
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .forEach(partitions::add);
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topics + " to the end in 30 s");
        }
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    out.sort(
        Comparator.comparing(ConsumerRecord<String, byte[]>::topic)
            .thenComparingInt(ConsumerRecord::partition)
            .thenComparingLong(ConsumerRecord::offset));
    return out;
  }

  private static String random() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
