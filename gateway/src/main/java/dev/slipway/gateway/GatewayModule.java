package dev.slipway.gateway;

import dev.slipway.gateway.edge.Edge;
import dev.slipway.gateway.edge.EdgeConfig;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import dev.slipway.infra.secrets.CredentialStore;
import dev.slipway.infra.secrets.CredentialStoreVerticle;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;

/** The gateway: the REST command API, SSE streams and the health endpoint of the process. */
public final class GatewayModule implements ServiceModule {

  private final GatewayOptions options;

  /** The production gateway; the launcher finds it through {@link java.util.ServiceLoader}. */
  public GatewayModule() {
    this(GatewayOptions.defaults());
  }

  /** A gateway with other stream tuning, e.g. short timeouts in tests. */
  public GatewayModule(GatewayOptions options) {
    this.options = options;
  }

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
    SlipwayConfig config = context.config();
    context.kafkaCheck();
    context.redis();
    EventPublisher publisher = context.publisher(name());
    return context
        .health()
        .requireUp()
        // Reads (or creates) the key file: not on an event loop.
        .compose(
            v ->
                Blocking.run(context.vertx(), () -> SecretBox.load(Env.system(), config.dataDir())))
        .compose(
            box -> {
              CredentialStore credentials =
                  new CredentialStore(
                      context.vertx(),
                      config.requireKafka(),
                      context.topics().registryCredentials(),
                      box,
                      publisher,
                      config.instanceId() + "-gateway-credentials");
              return context
                  .vertx()
                  .deployVerticle(new CredentialStoreVerticle(credentials))
                  .compose(
                      id ->
                          context
                              .vertx()
                              .deployVerticle(
                                  () ->
                                      new ApiVerticle(
                                          context.health(),
                                          config,
                                          context.redis(),
                                          publisher,
                                          credentials,
                                          box,
                                          options),
                                  new DeploymentOptions()));
            })
        .compose(
            v ->
                Edge.deploy(
                    context.vertx(), config, context.redis(), EdgeConfig.from(Env.system())));
  }
}
