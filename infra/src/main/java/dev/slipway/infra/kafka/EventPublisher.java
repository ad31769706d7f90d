package dev.slipway.infra.kafka;

import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.SlipwayEvent;
import dev.slipway.infra.events.Topic;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Publishes CloudEvents through one idempotent Kafka producer; each send completes a Vert.x Future
 * once the broker has the record from all in-sync replicas.
 *
 * <p>{@code KafkaProducer.send} can block (metadata, full buffer), so sends are handed to one
 * virtual thread: that keeps them off the event loop and in call order, which with idempotence
 * means in order per partition.
 */
public final class EventPublisher implements AutoCloseable {

  private final Vertx vertx;
  private final Producer<String, byte[]> producer;
  private final String source;
  private final ExecutorService sender;

  /**
   * @param source the CloudEvents {@code source} of everything this publisher sends, e.g. {@code
   *     /slipway/builder}
   */
  public EventPublisher(Vertx vertx, String bootstrapServers, String source, String clientId) {
    this(vertx, new KafkaProducer<>(KafkaClients.producer(bootstrapServers, clientId)), source);
  }

  EventPublisher(Vertx vertx, Producer<String, byte[]> producer, String source) {
    this(
        vertx,
        producer,
        source,
        Executors.newSingleThreadExecutor(Thread.ofVirtual().name("slipway-kafka-send").factory()));
  }

  private EventPublisher(
      Vertx vertx, Producer<String, byte[]> producer, String source, ExecutorService sender) {
    this.vertx = vertx;
    this.producer = producer;
    this.source = source;
    this.sender = sender;
  }

  /**
   * A publisher with another CloudEvents source sharing this one's producer, so each service in a
   * process names itself while the process keeps one connection. Closing it closes both.
   */
  public EventPublisher withSource(String otherSource) {
    return new EventPublisher(vertx, producer, otherSource, sender);
  }

  public String source() {
    return source;
  }

  /** Publishes {@code data} as a new event about {@code key} (its subject too). */
  public <T extends SlipwayEvent> Future<RecordMetadata> publish(
      Topic<? super T> topic, String key, T data) {
    return publish(topic, key, CloudEvent.of(source, key, data));
  }

  /** Publishes a prepared event, e.g. one whose id must be stable across retries. */
  public <T extends SlipwayEvent> Future<RecordMetadata> publish(
      Topic<? super T> topic, String key, CloudEvent<T> event) {
    return send(CloudEventCodec.encode(topic, key, event));
  }

  /** Deletes {@code key} from a compacted topic. */
  public Future<RecordMetadata> tombstone(Topic<?> topic, String key) {
    return send(CloudEventCodec.tombstone(topic, key));
  }

  private Future<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
    Context context = vertx.getOrCreateContext();
    Promise<RecordMetadata> promise = Promise.promise();
    try {
      sender.execute(
          () -> {
            try {
              producer.send(
                  record,
                  (metadata, error) ->
                      context.runOnContext(
                          v -> {
                            if (error == null) {
                              promise.complete(metadata);
                            } else {
                              promise.fail(error);
                            }
                          }));
            } catch (RuntimeException e) {
              context.runOnContext(v -> promise.fail(e));
            }
          });
    } catch (RejectedExecutionException e) {
      promise.fail(new IllegalStateException("publisher is closed", e));
    }
    return promise.future();
  }

  /** Sends what is queued, waits for it, then closes the producer. */
  @Override
  public void close() {
    sender.shutdown();
    try {
      sender.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
  }
}
