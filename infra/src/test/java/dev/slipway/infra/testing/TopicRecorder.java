package dev.slipway.infra.testing;

import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.SlipwayEvent;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Reads every event of a topic from the beginning in the background, as any subscriber would, and
 * keeps them in order.
 */
public final class TopicRecorder<T extends SlipwayEvent> implements AutoCloseable {

  /** One record: its Kafka key and its event. */
  public record Received<T>(String key, T event) {}

  private final Topic<T> topic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<Received<T>> received = new CopyOnWriteArrayList<>();
  private final Thread poller;
  private volatile boolean closed;

  public TopicRecorder(Topic<T> topic) {
    this.topic = topic;
    this.consumer =
        new KafkaConsumer<>(
            KafkaClients.consumer(
                KafkaBroker.bootstrapServers(), KafkaBroker.randomGroup(), "recorder"));
    consumer.subscribe(List.of(topic.name()));
    this.poller = Thread.ofVirtual().name("recorder-" + topic.name()).start(this::poll);
  }

  private void poll() {
    try {
      while (!closed) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          received.add(new Received<>(record.key(), CloudEventCodec.decode(topic, record).data()));
        }
      }
    } catch (WakeupException stopping) {
      // close() asked.
    } finally {
      consumer.close();
    }
  }

  /** Every record so far, with its key. */
  public List<Received<T>> all() {
    return List.copyOf(received);
  }

  /** Every event so far. */
  public List<T> events() {
    return received.stream().map(Received::event).toList();
  }

  /** Events of one type, in order. */
  public <X extends T> List<X> of(Class<X> type) {
    List<X> matching = new ArrayList<>();
    for (Received<T> r : received) {
      if (type.isInstance(r.event())) {
        matching.add(type.cast(r.event()));
      }
    }
    return matching;
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      poller.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
