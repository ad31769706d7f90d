package dev.slipway.builder;

import com.github.dockerjava.api.DockerClient;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.events.BuildCommand;
import dev.slipway.infra.events.BuildCommand.BuildCancelRequested;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.EventConsumer;
import dev.slipway.infra.kafka.EventConsumer.Delivery;
import dev.slipway.infra.kafka.EventConsumer.Options;
import dev.slipway.infra.kafka.EventConsumer.Ordering;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.validation.BuildRequestRules;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes build commands off {@code slipway.build.commands} (group {@value #GROUP}) and runs them, at
 * most {@link BuilderConfig#concurrency()} at once. A request's delivery completes only when its
 * build has a verdict, so its offset is committed after the effect; the consumer keeps polling
 * meanwhile (no rebalance on slow builds) and handles cancel commands while builds run.
 */
public final class BuildCommandVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(BuildCommandVerticle.class);

  /** The consumer group every builder instance joins; partitions spread builds across them. */
  public static final String GROUP = "slipway-builder";

  /** Commands held at once: enough that cancels still get through behind a long queue. */
  private static final int MAX_IN_FLIGHT = 1024;

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final SlipwayConfig slipway;
  private final BuilderConfig config;
  private final Redis redis;
  private final DockerClient docker;
  private final EventPublisher publisher;
  private final RegistryAuthLookup credentials;

  private final Map<String, BuildJob> jobs = new HashMap<>();
  private EventConsumer<BuildCommand> consumer;
  private BuildClaims claims;
  private BuildJob.Deps deps;
  private WorkDirs workDirs;
  private boolean stopping;

  public BuildCommandVerticle(
      SlipwayConfig slipway,
      BuilderConfig config,
      Redis redis,
      DockerClient docker,
      EventPublisher publisher,
      RegistryAuthLookup credentials) {
    this.slipway = slipway;
    this.config = config;
    this.redis = redis;
    this.docker = docker;
    this.publisher = publisher;
    this.credentials = credentials;
  }

  @Override
  public Future<?> start() {
    return vertx
        .executeBlocking(() -> WorkDirs.open(config.workDir()))
        .compose(
            dirs -> {
              workDirs = dirs;
              return startConsuming();
            });
  }

  private Future<?> startConsuming() {
    TopicSet topics = TopicSet.withPrefix(slipway.topicPrefix());
    claims =
        new BuildClaims(
            redis,
            new RedisKeys(slipway.keyPrefix()),
            slipway.instanceId(),
            config.lease(),
            config.maxAttempts());
    BuildPipeline pipeline =
        new BuildPipeline(
            config,
            new BuildRequestRules(slipway.gitSchemes()),
            new GitUrlPolicy(slipway.gitSchemes(), config.gitDenyHosts()),
            new GitCloner(config.gitTimeout()),
            new DockerImages(docker),
            credentials,
            workDirs);
    deps =
        new BuildJob.Deps(
            vertx,
            context,
            claims,
            publisher,
            topics,
            pipeline,
            config,
            new BuildExecutor(config.concurrency()));
    consumer =
        new EventConsumer<>(
            vertx,
            slipway.requireKafka(),
            topics.buildCommands(),
            Options.of(GROUP, slipway.instanceId() + "-builder", Ordering.NONE)
                .withMaxInFlight(MAX_IN_FLIGHT, MAX_IN_FLIGHT * 2)
                // A builder that died holds its partitions, and the builds waiting on them, until
                // its session times out (Kafka's default: 45 s): keep that short.
                .withKafka(
                    Map.of(
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
                        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000)),
            this::handle);
    log.info(
        "builder starting builder={} concurrency={} leaseMs={} maxAttempts={}",
        slipway.instanceId(),
        config.concurrency(),
        config.lease().toMillis(),
        config.maxAttempts());
    return consumer.start();
  }

  private Future<?> handle(Delivery<BuildCommand> delivery) {
    if (stopping) {
      return Future.failedFuture("builder stopping");
    }
    BuildCommand command = delivery.event().data();
    String id = command.buildId();
    return switch (command) {
      case BuildRequested request -> {
        BuildJob running = jobs.get(id);
        if (running != null) {
          // The same command again while it runs here: done when the first one is.
          yield running.future();
        }
        BuildJob job = new BuildJob(deps, request);
        jobs.put(id, job);
        yield job.start().onComplete(ar -> jobs.remove(id, job));
      }
      case BuildCancelRequested cancel -> {
        BuildJob job = jobs.get(id);
        if (job != null) {
          yield job.cancel(cancel.reason());
        }
        yield claims
            .requestCancel(id)
            .onSuccess(outcome -> log.info("cancel recorded buildId={} claim={}", id, outcome));
      }
    };
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    Future<Void> stopped =
        consumer == null ? Future.succeededFuture() : consumer.stop(STOP_TIMEOUT);
    List.copyOf(jobs.values()).forEach(BuildJob::abort);
    return stopped.eventually(
        () ->
            workDirs == null
                ? Future.succeededFuture()
                : vertx.executeBlocking(
                    () -> {
                      workDirs.close();
                      return null;
                    }));
  }
}
