package dev.slipway.deployer;

import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployEvent;
import io.vertx.core.Future;

/** Where the deployer reports what happens: {@code slipway.deploy.events}. */
public interface DeployEventSink {

  /** Completes once the event is durable. */
  Future<Void> publish(DeployEvent event);

  /** Asks for a deploy on {@code slipway.deploy.commands}, as a build with a deploy spec does. */
  Future<Void> request(DeployCommand command);
}
