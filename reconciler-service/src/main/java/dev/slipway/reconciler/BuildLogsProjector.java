package dev.slipway.reconciler;

import dev.slipway.infra.events.BuildLog;
import dev.slipway.infra.events.BuildLog.BuildLogBatch;
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
 * Projects {@code slipway.build.logs} into each build's log stream, in sequence order, skipping
 * lines already there; closes the stream with the status entry when the build finished before its
 * last lines arrived.
 */
public final class BuildLogsProjector extends ConsumerVerticle<BuildLog> {

  /** The consumer group, after the topic prefix. */
  public static final String GROUP = "slipway-reconciler-logs";

  private static final Logger log = LoggerFactory.getLogger(BuildLogsProjector.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

  private final BuildProjectionStore store;

  public BuildLogsProjector(
      String bootstrapServers,
      Topic<BuildLog> topic,
      String groupId,
      String clientId,
      BuildProjectionStore store) {
    super(bootstrapServers, topic, Options.of(groupId, clientId, Ordering.PER_KEY), STOP_TIMEOUT);
    this.store = store;
  }

  @Override
  protected Future<?> handle(Delivery<BuildLog> delivery) {
    if (delivery.event() == null) {
      return Future.succeededFuture();
    }
    return switch (delivery.event().data()) {
      case BuildLogBatch batch -> {
        if (!Names.isValidId(batch.buildId())) {
          // No Redis key can be built for it; retrying would hold back every build behind it.
          log.warn(
              "skipping log batch with an invalid build id partition={} offset={}",
              delivery.partition(),
              delivery.offset());
          yield Future.succeededFuture();
        }
        yield store
            .append(batch)
            .onSuccess(
                appended -> {
                  if (appended < batch.lines().size()) {
                    log.debug(
                        "log lines already projected buildId={} firstSeq={} lastSeq={} new={}",
                        batch.buildId(),
                        batch.firstSeq(),
                        batch.lastSeq(),
                        appended);
                  }
                });
      }
    };
  }
}
