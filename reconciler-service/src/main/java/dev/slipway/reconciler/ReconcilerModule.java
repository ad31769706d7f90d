package dev.slipway.reconciler;

import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import io.vertx.core.Future;

/** The reconciler: projects Kafka events and Docker engine state into Redis. */
public final class ReconcilerModule implements ServiceModule {

  @Override
  public String name() {
    return "reconciler";
  }

  @Override
  public Future<?> deploy(ServiceContext context) {
    context.kafkaCheck();
    context.redis();
    context.docker();
    return context.health().requireUp();
  }
}
