package dev.slipway.deployer;

import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import io.vertx.core.Future;

/** The deployer: runs app containers and owns app state and routes in Redis. */
public final class DeployerModule implements ServiceModule {

  @Override
  public String name() {
    return "deployer";
  }

  @Override
  public Future<?> deploy(ServiceContext context) {
    context.kafkaCheck();
    context.redis();
    context.docker();
    return context.health().requireUp();
  }
}
