package dev.slipway.deployer;

import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EventPublisher;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@link DeployEventSink} on Kafka, keyed by app so an app's events stay in order. */
public final class KafkaDeployEventSink implements DeployEventSink {

  private final EventPublisher publisher;
  private final Topic<DeployEvent> events;
  private final Topic<DeployCommand> commands;
  private final long timeoutMs;

  public KafkaDeployEventSink(
      EventPublisher publisher,
      Topic<DeployEvent> events,
      Topic<DeployCommand> commands,
      Duration timeout) {
    this.publisher = publisher;
    this.events = events;
    this.commands = commands;
    this.timeoutMs = timeout.toMillis();
  }

  @Override
  public Future<Void> publish(DeployEvent event) {
    return publisher
        .publish(events, event.app(), event)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .mapEmpty();
  }

  @Override
  public Future<Void> request(DeployCommand command) {
    return publisher
        .publish(commands, command.app(), CloudEvent.of(publisher.source(), command.app(), command))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .mapEmpty();
  }
}
