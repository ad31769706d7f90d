package dev.slipway.infra.kafka;

import dev.slipway.infra.events.SlipwayEvent;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EventConsumer.Delivery;
import dev.slipway.infra.kafka.EventConsumer.Options;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;

/**
 * A verticle whose one job is consuming one topic: it starts its {@link EventConsumer} on deploy
 * (deployment fails when the group cannot be joined) and, on undeploy, lets running handlers finish
 * for up to {@code stopTimeout}, then commits and leaves the group.
 */
public abstract class ConsumerVerticle<T extends SlipwayEvent> extends VerticleBase {

  private final String bootstrapServers;
  private final Topic<T> topic;
  private final Options options;
  private final Duration stopTimeout;
  private EventConsumer<T> consumer;

  protected ConsumerVerticle(
      String bootstrapServers, Topic<T> topic, Options options, Duration stopTimeout) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.options = options;
    this.stopTimeout = stopTimeout;
  }

  /** Handles one delivery; its success lets the offset be committed. */
  protected abstract Future<?> handle(Delivery<T> delivery);

  @Override
  public Future<?> start() {
    // The Kafka client resolves its bootstrap addresses when built: not on the event loop.
    return Blocking.run(
            vertx, () -> new EventConsumer<>(vertx, bootstrapServers, topic, options, this::handle))
        .compose(
            created -> {
              consumer = created;
              return created.start();
            });
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.stop(stopTimeout);
  }
}
