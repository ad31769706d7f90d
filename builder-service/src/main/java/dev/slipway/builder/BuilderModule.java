package dev.slipway.builder;

import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import io.vertx.core.Future;

/** The builder: clones, builds and pushes images; it needs Kafka and the Docker engine. */
public final class BuilderModule implements ServiceModule {

  @Override
  public String name() {
    return "builder";
  }

  @Override
  public Future<?> deploy(ServiceContext context) {
    context.kafkaCheck();
    context.docker();
    return context.health().requireUp();
  }
}
