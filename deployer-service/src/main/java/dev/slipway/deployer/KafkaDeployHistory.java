package dev.slipway.deployer;

import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.EventDecodingException;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code slipway.deploy.events} from the beginning to its current end with a group-less
 * consumer, and folds it ({@link DeployHistory#fold}). Blocks: call it on a virtual thread.
 */
public final class KafkaDeployHistory implements DeployHistory {

  private static final Logger log = LoggerFactory.getLogger(KafkaDeployHistory.class);

  private final String bootstrapServers;
  private final Topic<DeployEvent> topic;
  private final Duration timeout;

  public KafkaDeployHistory(String bootstrapServers, Topic<DeployEvent> topic, Duration timeout) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.timeout = timeout;
  }

  @Override
  public Map<String, AppHistory> read() {
    Map<String, Object> props =
        new java.util.HashMap<>(
            KafkaClients.consumer(bootstrapServers, "unused", "deploy-history"));
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    List<DeployEvent> events = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic.name(), timeout);
      List<TopicPartition> partitions =
          infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "reading " + topic.name() + " took longer than " + timeout);
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          try {
            CloudEvent<DeployEvent> event = CloudEventCodec.decode(topic, record);
            if (event != null) {
              events.add(event.data());
            }
          } catch (EventDecodingException e) {
            log.warn(
                "deploy event skipped offset={} error=\"{}\"", record.offset(), e.getMessage());
          }
        }
      }
    }
    log.info("deploy history read topic={} events={}", topic.name(), events.size());
    return DeployHistory.fold(events);
  }
}
