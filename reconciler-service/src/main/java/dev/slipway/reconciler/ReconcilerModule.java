package dev.slipway.reconciler;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
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
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reconciler: projects Kafka build events and the Docker engine's containers into Redis, and
 * reports container changes and drift on Kafka.
 *
 * <p>With {@code SLIPWAY_RECONCILER_REPLAY=true} it first rewinds its build consumer groups to the
 * beginning of {@code slipway.build.events} and {@code slipway.build.logs}, so the build projection
 * is rebuilt from everything Kafka still holds, e.g. after Redis lost its data.
 */
public final class ReconcilerModule implements ServiceModule {

  /** How long a replay waits for the previous reconcilers to leave their groups. */
  static final Duration REPLAY_WAIT = Duration.ofSeconds(60);

  private final ReconcilerConfig config;

  /** Reads {@link ReconcilerConfig} from the process environment when deployed. */
  public ReconcilerModule() {
    this(null);
  }

  /** Runs with the given settings instead of the process environment's. */
  public ReconcilerModule(ReconcilerConfig config) {
    this.config = config;
  }

  @Override
  public String name() {
    return "reconciler";
  }

  /** The build events consumer group: the topic prefix keeps installations sharing Kafka apart. */
  public static String buildEventsGroup(SlipwayConfig config) {
    return config.topicPrefix() + BuildEventsProjector.GROUP;
  }

  /** The build logs consumer group. */
  public static String buildLogsGroup(SlipwayConfig config) {
    return config.topicPrefix() + BuildLogsProjector.GROUP;
  }

  @Override
  public Future<?> deploy(ServiceContext context) {
    ReconcilerConfig settings;
    try {
      settings = config != null ? config : ReconcilerConfig.from(Env.system());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    SlipwayConfig shared = context.config();
    String kafka = shared.requireKafka();
    TopicSet topics = context.topics();
    context.kafkaCheck();
    context.docker();
    BuildProjectionStore store =
        new BuildProjectionStore(context.redis(), context.redisKeys(), settings);
    String eventsGroup = buildEventsGroup(shared);
    String logsGroup = buildLogsGroup(shared);
    return context
        .health()
        .requireUp()
        .compose(
            up -> {
              if (!settings.replay()) {
                return Future.succeededFuture();
              }
              Map<String, String> groups = new LinkedHashMap<>();
              groups.put(eventsGroup, topics.buildEvents().name());
              groups.put(logsGroup, topics.buildLogs().name());
              return new GroupRewind(context.vertx(), kafka, REPLAY_WAIT).rewind(groups);
            })
        .compose(
            v ->
                context
                    .vertx()
                    .deployVerticle(
                        new BuildEventsProjector(
                            kafka,
                            topics.buildEvents(),
                            eventsGroup,
                            shared.instanceId() + "-reconciler-builds",
                            store)))
        .compose(
            v ->
                context
                    .vertx()
                    .deployVerticle(
                        new BuildLogsProjector(
                            kafka,
                            topics.buildLogs(),
                            logsGroup,
                            shared.instanceId() + "-reconciler-logs",
                            store)))
        .compose(v -> deployContainers(context));
  }

  /** The container projection: Docker engine → Redis, container events and drift on Kafka. */
  private Future<?> deployContainers(ServiceContext context) {
    ContainerReconcilerConfig containers;
    try {
      containers = ContainerReconcilerConfig.from(Env.system());
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
                containers));
  }
}
