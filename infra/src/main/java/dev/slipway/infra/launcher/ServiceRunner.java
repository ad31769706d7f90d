package dev.slipway.infra.launcher;

import dev.slipway.infra.config.ApiToken;
import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.health.HealthVerticle;
import dev.slipway.infra.kafka.EmbeddedKafkaBroker;
import dev.slipway.infra.kafka.TopicAdmin;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts services in this JVM: reads the configuration, starts the embedded broker when allowed and
 * needed, creates the topics, deploys each service, serves {@code /health}, and on SIGTERM or
 * Ctrl-C undeploys everything (consumers finish or hand back their work and commit) before the JVM
 * exits.
 */
public final class ServiceRunner implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServiceRunner.class);

  private final SlipwayConfig config;
  private final Vertx vertx;
  private final ServiceContext context;
  private final EmbeddedKafkaBroker broker;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ServiceRunner(
      SlipwayConfig config, Vertx vertx, ServiceContext context, EmbeddedKafkaBroker broker) {
    this.config = config;
    this.vertx = vertx;
    this.context = context;
    this.broker = broker;
  }

  /**
   * The entry point of every {@code Main}: runs the modules until the process is told to stop. A
   * configuration error ends the process with status 2 and a message naming the variable.
   */
  public static ServiceRunner main(List<ServiceModule> modules, boolean allInOne) {
    SlipwayConfig config;
    try {
      config = SlipwayConfig.from(Env.system());
      if (!allInOne) {
        config.requireKafka();
      }
    } catch (ConfigException e) {
      System.err.println("slipway: configuration error: " + e.getMessage());
      System.exit(2);
      return null;
    }
    ServiceRunner runner;
    try {
      runner = start(config, modules, allInOne);
    } catch (RuntimeException e) {
      log.error("start failed reason=\"{}\"", e.getMessage(), e);
      System.err.println("slipway: could not start: " + e.getMessage());
      System.exit(1);
      return null;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(runner::close, "slipway-shutdown"));
    return runner;
  }

  /** Starts and returns once every service is deployed; throws when one cannot start. */
  public static ServiceRunner start(
      SlipwayConfig config, List<ServiceModule> modules, boolean allInOne) {
    Instant begin = Instant.now();
    EmbeddedKafkaBroker broker = null;
    if (config.kafkaBootstrapServers().isEmpty() && allInOne) {
      broker =
          EmbeddedKafkaBroker.start(config.dataDir().resolve("kafka"), config.embeddedKafkaPort());
      config = config.withKafka(broker.bootstrapServers());
    }
    if (allInOne && config.apiTokens().isEmpty()) {
      config = config.withApiTokens(List.of(generatedToken(config.dataDir())));
    }
    Vertx vertx = Vertx.vertx();
    ServiceContext context = new ServiceContext(vertx, config);
    ServiceRunner runner = new ServiceRunner(config, vertx, context, broker);
    try {
      SlipwayConfig started = config;
      Future<?> deployed =
          TopicAdmin.ensure(
                  vertx,
                  started.requireKafka(),
                  context.topics().all(),
                  started.kafkaPartitions(),
                  started.kafkaReplication())
              .compose(created -> deployAll(context, modules))
              .compose(
                  v ->
                      modules.stream().anyMatch(ServiceModule::servesHealth)
                          ? Future.succeededFuture()
                          : vertx.deployVerticle(
                              new HealthVerticle(context.health(), "0.0.0.0", started.httpPort())));
      deployed.await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      runner.close();
      throw new IllegalStateException(
          e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
    }
    log.info(
        "started services={} kafka={} redis={} docker={} tookMs={}",
        modules.stream().map(ServiceModule::name).toList(),
        config.requireKafka(),
        config.redisUrl().getHost() + ":" + config.redisUrl().getPort(),
        config.dockerHost(),
        Duration.between(begin, Instant.now()).toMillis());
    return runner;
  }

  private static Future<?> deployAll(ServiceContext context, List<ServiceModule> modules) {
    Future<?> chain = Future.succeededFuture();
    for (ServiceModule module : modules) {
      chain =
          chain.compose(
              v ->
                  module
                      .deploy(context)
                      .onSuccess(x -> log.info("service deployed service={}", module.name()))
                      .recover(
                          e ->
                              Future.failedFuture(
                                  new IllegalStateException(
                                      module.name() + " could not start: " + e.getMessage(), e))));
    }
    return chain;
  }

  /**
   * The write token of a single-node install: generated once into the data dir (mode 600) and
   * reused, so the token a person copied keeps working after a restart.
   */
  private static ApiToken generatedToken(Path dataDir) {
    Path file = dataDir.resolve("api-token");
    try {
      if (Files.exists(file)) {
        return new ApiToken(Files.readString(file).trim(), ApiToken.Scope.WRITE);
      }
      Files.createDirectories(dataDir);
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      String token = "slw_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      Files.writeString(file, token + "\n");
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      return new ApiToken(token, ApiToken.Scope.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the API token in " + file, e);
    }
  }

  public SlipwayConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public ServiceContext context() {
    return context;
  }

  /** Undeploys every verticle (each stops its work gracefully), then closes clients and broker. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("stopping");
    try {
      vertx.close().await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("vert.x did not close cleanly", e);
    }
    context.close();
    if (broker != null) {
      broker.close();
    }
    log.info("stopped");
  }
}
