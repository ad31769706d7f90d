package dev.slipway.gateway;

import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;

/** The gateway: the REST command API, SSE streams and the health endpoint of the process. */
public final class GatewayModule implements ServiceModule {

  @Override
  public String name() {
    return "gateway";
  }

  @Override
  public boolean servesHealth() {
    return true;
  }

  @Override
  public Future<?> deploy(ServiceContext context) {
    context.kafkaCheck();
    context.redis();
    return context
        .health()
        .requireUp()
        .compose(
            v ->
                context
                    .vertx()
                    .deployVerticle(
                        () -> new ApiVerticle(context.health(), context.config().httpPort()),
                        new DeploymentOptions()));
  }
}
