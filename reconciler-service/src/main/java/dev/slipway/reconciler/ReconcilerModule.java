package dev.slipway.reconciler;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.reconciler.containers.ContainerReconciler;
import dev.slipway.reconciler.containers.ContainerReconcilerConfig;
import dev.slipway.reconciler.containers.DockerJavaEngine;
import dev.slipway.reconciler.containers.KafkaContainerEventSink;
import dev.slipway.reconciler.containers.RedisContainerStore;
import dev.slipway.reconciler.containers.RedisDesiredStates;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;

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
    return context.health().requireUp().compose(v -> deployContainers(context));
  }

  /** The container projection: Docker engine → Redis, container events and drift on Kafka. */
  private Future<?> deployContainers(ServiceContext context) {
    ContainerReconcilerConfig config;
    try {
      config = ContainerReconcilerConfig.from(Env.system());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Redis redis = context.redis();
    RedisKeys keys = context.redisKeys();
    TopicSet topics = context.topics();
    return context
        .vertx()
        .deployVerticle(
            new ContainerReconciler(
                new DockerJavaEngine(context.docker()),
                new RedisContainerStore(redis, keys),
                new RedisDesiredStates(redis, keys),
                new KafkaContainerEventSink(
                    context.publisher(name()), topics.containerEvents(), topics.deployCommands()),
                config));
  }
}
