package dev.slipway.deployer;

import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EventConsumer;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Recovers every app (interrupted deployments settled, one live container each, routes right), then
 * consumes {@code slipway.deploy.commands} into the {@link AppScheduler}.
 *
 * <p>The consumer runs with {@code NONE} ordering on purpose: per-app order is the scheduler's job,
 * and only a scheduler that sees an app's queued commands can supersede an older one. Offsets still
 * commit only after each command's effect, in partition order.
 */
public final class DeployCommandsVerticle extends VerticleBase {

  /** The consumer group's name after the topic prefix. */
  public static final String GROUP = "slipway-deployer";

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Deployer deployer;
  private final AppScheduler scheduler;
  private final String bootstrapServers;
  private final Topic<DeployCommand> topic;
  private final String groupId;
  private final String clientId;
  private EventConsumer<DeployCommand> consumer;

  public DeployCommandsVerticle(
      Deployer deployer,
      AppScheduler scheduler,
      String bootstrapServers,
      Topic<DeployCommand> topic,
      String groupId,
      String clientId) {
    this.deployer = deployer;
    this.scheduler = scheduler;
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.groupId = groupId;
    this.clientId = clientId;
  }

  @Override
  public Future<?> start() {
    EventConsumer.Options options =
        EventConsumer.Options.of(groupId, clientId, EventConsumer.Ordering.NONE)
            // Waiting commands hold a slot each; every app holds at most a few.
            .withMaxInFlight(1024, 2048)
            .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30))
            // A deployer that died holds its partitions until its session times out: commands
            // wait that long after a crash, so keep it short.
            .withKafka(
                Map.of(
                    ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
                    ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000));
    return Blocking.run(
            vertx,
            () -> {
              deployer.recoverAll();
              return null;
            })
        .compose(
            v -> {
              consumer =
                  new EventConsumer<>(
                      vertx,
                      bootstrapServers,
                      topic,
                      options,
                      delivery -> {
                        CloudEvent<DeployCommand> event = delivery.event();
                        if (event == null) {
                          return Future.succeededFuture();
                        }
                        return scheduler.submit(event.data(), context);
                      });
              return consumer.start();
            });
  }

  @Override
  public Future<?> stop() {
    scheduler.stop();
    return consumer == null ? Future.succeededFuture() : consumer.stop(STOP_TIMEOUT);
  }
}
