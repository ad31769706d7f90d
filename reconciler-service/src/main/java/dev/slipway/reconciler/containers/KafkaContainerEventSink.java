package dev.slipway.reconciler.containers;

import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EventPublisher;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;

/** Publishes through the service's idempotent producer, waiting for the broker's ack. */
public final class KafkaContainerEventSink implements ContainerEventSink {

  private static final long TIMEOUT_MS = 15_000;

  private final EventPublisher publisher;
  private final Topic<ContainerEvent> containerEvents;
  private final Topic<DeployCommand> deployCommands;

  public KafkaContainerEventSink(
      EventPublisher publisher,
      Topic<ContainerEvent> containerEvents,
      Topic<DeployCommand> deployCommands) {
    this.publisher = publisher;
    this.containerEvents = containerEvents;
    this.deployCommands = deployCommands;
  }

  @Override
  public Future<Void> publish(ContainerEvent event) {
    return publisher
        .publish(containerEvents, event.key(), event)
        .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .mapEmpty();
  }

  @Override
  public Future<Void> requestReconcile(ReconcileRequested command) {
    return publisher
        .publish(deployCommands, command.key(), command)
        .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .mapEmpty();
  }
}
