package dev.slipway.builder;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import java.util.Objects;

/** The builder: clones, builds and pushes images; it needs Kafka, Redis and the Docker engine. */
public final class BuilderModule implements ServiceModule {

  private final Env env;
  private final RegistryAuthLookup credentials;

  /**
   * Reads the builder's settings from the process environment. Until the credential store is wired
   * in, credentials come from an empty in-memory lookup.
   */
  public BuilderModule() {
    this(Env.system(), new InMemoryRegistryAuthLookup());
  }

  public BuilderModule(Env env, RegistryAuthLookup credentials) {
    this.env = Objects.requireNonNull(env, "env");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
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
        .compose(
            v ->
                context
                    .vertx()
                    .deployVerticle(
                        () ->
                            new BuildCommandVerticle(
                                context.config(), config, redis, docker, publisher, credentials),
                        new DeploymentOptions()));
  }
}
