package dev.slipway.reconciler;

import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.Names;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.ConsumerVerticle;
import dev.slipway.infra.kafka.EventConsumer.Delivery;
import dev.slipway.infra.kafka.EventConsumer.Options;
import dev.slipway.infra.kafka.EventConsumer.Ordering;
import io.vertx.core.Future;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Projects {@code slipway.build.events} into each build's hash, the build list, the closing entry
 * of the build's log stream and the change feed. Events of one build are handled in order; an
 * offset is committed only after its script ran.
 */
public final class BuildEventsProjector extends ConsumerVerticle<BuildEvent> {

  /** The consumer group, after the topic prefix. */
  public static final String GROUP = "slipway-reconciler-builds";

  private static final Logger log = LoggerFactory.getLogger(BuildEventsProjector.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

  private final BuildProjectionStore store;

  public BuildEventsProjector(
      String bootstrapServers,
      Topic<BuildEvent> topic,
      String groupId,
      String clientId,
      BuildProjectionStore store) {
    super(bootstrapServers, topic, Options.of(groupId, clientId, Ordering.PER_KEY), STOP_TIMEOUT);
    this.store = store;
  }

  @Override
  protected Future<?> handle(Delivery<BuildEvent> delivery) {
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
