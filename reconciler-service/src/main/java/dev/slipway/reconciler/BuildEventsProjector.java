package dev.slipway.reconciler;

import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.Names;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EventConsumer;
import dev.slipway.infra.kafka.EventConsumer.Delivery;
import dev.slipway.infra.kafka.EventConsumer.Options;
import dev.slipway.infra.kafka.EventConsumer.Ordering;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Projects {@code slipway.build.events} into each build's hash, the build list, the closing entry
 * of the build's log stream and the change feed. Events of one build are handled in order; an
 * offset is committed only after its script ran.
 */
public final class BuildEventsProjector extends VerticleBase {

  /** The consumer group, after the topic prefix. */
  public static final String GROUP = "slipway-reconciler-builds";

  private static final Logger log = LoggerFactory.getLogger(BuildEventsProjector.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

  private final String bootstrapServers;
  private final Topic<BuildEvent> topic;
  private final String groupId;
  private final String clientId;
  private final BuildProjectionStore store;
  private EventConsumer<BuildEvent> consumer;

  public BuildEventsProjector(
      String bootstrapServers,
      Topic<BuildEvent> topic,
      String groupId,
      String clientId,
      BuildProjectionStore store) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.groupId = groupId;
    this.clientId = clientId;
    this.store = store;
  }

  @Override
  public Future<?> start() {
    // The Kafka client resolves its bootstrap addresses when built: not on the event loop.
    return Blocking.run(
            vertx,
            () ->
                new EventConsumer<>(
                    vertx,
                    bootstrapServers,
                    topic,
                    Options.of(groupId, clientId, Ordering.PER_KEY),
                    this::handle))
        .compose(
            created -> {
              consumer = created;
              return created.start();
            });
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.stop(STOP_TIMEOUT);
  }

  private Future<?> handle(Delivery<BuildEvent> delivery) {
    if (delivery.event() == null) {
      return Future.succeededFuture();
    }
    BuildEvent event = delivery.event().data();
    if (!Names.isValidId(event.buildId())) {
      // No Redis key can be built for it; retrying would hold back every build behind it.
      log.warn(
          "skipping build event with an invalid build id type={} partition={} offset={}",
          delivery.event().type(),
          delivery.partition(),
          delivery.offset());
      return Future.succeededFuture();
    }
    BuildProjection.Update update = BuildProjection.of(event);
    return store
        .apply(update)
        .onSuccess(
            changed -> {
              if (changed && update.terminal()) {
                log.info(
                    "build projected buildId={} status={} logLines={}",
                    update.buildId(),
                    update.status(),
                    update.logLines());
              } else {
                log.debug(
                    "build event projected buildId={} type={} changed={}",
                    update.buildId(),
                    delivery.event().type(),
                    changed);
              }
            });
  }
}
