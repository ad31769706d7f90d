package dev.slipway.deployer;

import dev.slipway.deployer.engine.DockerJavaContainerEngine;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import dev.slipway.infra.secrets.CredentialStore;
import dev.slipway.infra.secrets.CredentialStoreVerticle;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;

/**
 * The deployer: runs app containers and owns app state and routes in Redis. It deploys, in order:
 * the registry credential reader (for pulls), the command consumer (after recovering every app) and
 * the auto-deploy consumer of build events.
 */
public final class DeployerModule implements ServiceModule {

  /** How long a start may spend reading the deploy events to rebuild lost app state. */
  static final Duration HISTORY_TIMEOUT = Duration.ofMinutes(2);

  private final DeployerConfig config;

  /** Reads {@link DeployerConfig} from the process environment when deployed. */
  public DeployerModule() {
    this(null);
  }

  /** Runs with the given settings instead of the process environment's. */
  public DeployerModule(DeployerConfig config) {
    this.config = config;
  }

  @Override
  public String name() {
    return "deployer";
  }

  /** The command consumer group: the topic prefix keeps installations sharing Kafka apart. */
  public static String commandsGroup(SlipwayConfig config) {
    return config.topicPrefix() + DeployCommandsVerticle.GROUP;
  }

  /** The build events consumer group of auto-deploy. */
  public static String buildsGroup(SlipwayConfig config) {
    return config.topicPrefix() + AutoDeployVerticle.GROUP;
  }

  private record Clients(
      KafkaDeployEventSink sink,
      RedisAppStore store,
      DockerJavaContainerEngine engine,
      SecretBox box) {}

  @Override
  public Future<?> deploy(ServiceContext context) {
    DeployerConfig settings;
    try {
      settings = config != null ? config : DeployerConfig.from(Env.system());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    SlipwayConfig shared = context.config();
    String kafka = shared.requireKafka();
    TopicSet topics = context.topics();
    Vertx vertx = context.vertx();
    // Client construction blocks (class loading, a producer's metadata, the key file): not on an
    // event loop.
    return Blocking.run(
            vertx,
            () -> {
              context.kafkaCheck();
              return new Clients(
                  new KafkaDeployEventSink(
                      context.publisher(name()),
                      topics.deployEvents(),
                      topics.deployCommands(),
                      settings.stepTimeout()),
                  new RedisAppStore(context.redis(), context.redisKeys(), settings.stepTimeout()),
                  new DockerJavaContainerEngine(context.docker()),
                  SecretBox.load(Env.system(), shared.dataDir()));
            })
        .compose(clients -> context.health().requireUp().map(clients))
        .compose(
            clients -> {
              KafkaDeployEventSink sink = clients.sink();
              CredentialStore credentials =
                  new CredentialStore(
                      vertx,
                      kafka,
                      topics.registryCredentials(),
                      clients.box(),
                      null,
                      shared.instanceId() + "-deployer-credentials");
              Deployer deployer =
                  new Deployer(
                      clients.engine(),
                      clients.store(),
                      sink,
                      new VertxHealthProbe(vertx),
                      PullCredentials.from(credentials),
                      new KafkaDeployHistory(kafka, topics.deployEvents(), HISTORY_TIMEOUT),
                      settings,
                      Clock.systemUTC(),
                      clients.box());
              AppScheduler scheduler = new AppScheduler(deployer, settings.concurrency());
              // Auto-deploy only publishes commands: it need not wait for the recovery.
              return Future.all(
                  vertx
                      .deployVerticle(new CredentialStoreVerticle(credentials))
                      .compose(
                          id ->
                              vertx.deployVerticle(
                                  new DeployCommandsVerticle(
                                      deployer,
                                      scheduler,
                                      kafka,
                                      topics.deployCommands(),
                                      commandsGroup(shared),
                                      shared.instanceId() + "-deployer"))),
                  vertx.deployVerticle(
                      new AutoDeployVerticle(
                          sink,
                          kafka,
                          topics.buildEvents(),
                          buildsGroup(shared),
                          shared.instanceId() + "-deployer-builds")));
            });
  }
}
