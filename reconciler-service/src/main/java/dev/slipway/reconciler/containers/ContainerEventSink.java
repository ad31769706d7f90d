package dev.slipway.reconciler.containers;

import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import io.vertx.core.Future;

/** Where the reconciler's events go (Kafka in production). */
public interface ContainerEventSink {

  /** Publishes on {@code slipway.container.events}, keyed by {@link ContainerEvent#key()}. */
  Future<Void> publish(ContainerEvent event);

  /** Asks the deployer to repair an app: {@code slipway.deploy.commands}, keyed by app. */
  Future<Void> requestReconcile(ReconcileRequested command);
}
