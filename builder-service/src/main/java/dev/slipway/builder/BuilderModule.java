package dev.slipway.builder;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import dev.slipway.infra.secrets.CredentialStore;
import dev.slipway.infra.secrets.CredentialStoreVerticle;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import java.util.Objects;

/** The builder: clones, builds and pushes images; it needs Kafka, Redis and the Docker engine. */
public final class BuilderModule implements ServiceModule {

  private final Env env;
  private final RegistryAuthLookup credentials;

  /**
   * Reads the builder's settings from the process environment; credentials come from the compacted
   * {@code slipway.registry.credentials} topic, opened with the installation's secret key ({@code
   * SLIPWAY_SECRET_KEY} or the key file in the data dir).
   */
  public BuilderModule() {
    this(Env.system(), null);
  }

  /**
   * @param credentials where credentials come from; {@code null} for the credential store on Kafka
   */
  public BuilderModule(Env env, RegistryAuthLookup credentials) {
    this.env = Objects.requireNonNull(env, "env");
    this.credentials = credentials;
  }

  @Override
  public String name() {
    return "builder";
  }

  @Override
  public Future<?> deploy(ServiceContext context) {
    BuilderConfig config;
    try {
      config = BuilderConfig.from(env);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    context.kafkaCheck();
    var docker = context.docker();
    var redis = context.redis();
    var publisher = context.publisher(name());
    return context
        .health()
        .requireUp()
        .compose(v -> credentials != null ? Future.succeededFuture(credentials) : store(context))
        .compose(
            lookup ->
                context
                    .vertx()
                    .deployVerticle(
                        () ->
                            new BuildCommandVerticle(
                                context.config(), config, redis, docker, publisher, lookup),
                        new DeploymentOptions()));
  }

  /** A read-only view of the credentials topic, caught up before the first build is taken. */
  private Future<RegistryAuthLookup> store(ServiceContext context) {
    SlipwayConfig shared = context.config();
    return Blocking.run(context.vertx(), () -> SecretBox.load(env, shared.dataDir()))
        .compose(
            box -> {
              CredentialStore store =
                  new CredentialStore(
                      context.vertx(),
                      shared.requireKafka(),
                      context.topics().registryCredentials(),
                      box,
                      null,
                      shared.instanceId() + "-builder-credentials");
              RegistryAuthLookup lookup =
                  name ->
                      store
                          .get(name)
                          .map(c -> new RegistryAuth(c.registry(), c.username(), c.secret()));
              return context
                  .vertx()
                  .deployVerticle(new CredentialStoreVerticle(store))
                  .map(id -> lookup);
            });
  }
}
