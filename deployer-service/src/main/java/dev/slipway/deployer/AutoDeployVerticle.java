package dev.slipway.deployer;

import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.Names;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EventConsumer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Build and deploy chained: a {@code dev.slipway.build.succeeded} whose request carried a deploy
 * spec becomes a {@code dev.slipway.deploy.requested} for the built image, {@code <image>@<digest>}
 * when it was pushed, else {@code <image>:<first tag>}. The deployment id derives from the build
 * id, so a build event delivered twice asks for one deployment.
 *
 * <p>A new group starts at the end of the topic: a first start must not deploy every build the
 * topic still holds.
 */
public final class AutoDeployVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(AutoDeployVerticle.class);

  /** The consumer group's name after the topic prefix. */
  public static final String GROUP = "slipway-deployer-builds";

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final DeployEventSink sink;
  private final String bootstrapServers;
  private final Topic<BuildEvent> topic;
  private final String groupId;
  private final String clientId;
  private EventConsumer<BuildEvent> consumer;

  public AutoDeployVerticle(
      DeployEventSink sink,
      String bootstrapServers,
      Topic<BuildEvent> topic,
      String groupId,
      String clientId) {
    this.sink = sink;
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.groupId = groupId;
    this.clientId = clientId;
  }

  @Override
  public Future<?> start() {
    consumer =
        new EventConsumer<>(
            vertx,
            bootstrapServers,
            topic,
            EventConsumer.Options.of(groupId, clientId, EventConsumer.Ordering.NONE)
                .withKafka(
                    Map.of(
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "latest",
                        // After a crash the dead member holds the partitions this long.
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                        10_000,
                        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                        2_000)),
            delivery -> {
              if (delivery.event() == null
                  || !(delivery.event().data() instanceof BuildSucceeded built)
                  || built.deploy() == null) {
                return Future.succeededFuture();
              }
              DeployRequested request = request(built, Instant.now());
              log.info(
                  "auto-deploy requested buildId={} app={} deploymentId={} image={}",
                  built.buildId(),
                  request.app(),
                  request.deploymentId(),
                  request.spec().image());
              return sink.request(request);
            });
    return consumer.start();
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.stop(STOP_TIMEOUT);
  }

  /** The deploy a succeeded build asks for. */
  static DeployRequested request(BuildSucceeded built, Instant now) {
    DeploySpec d = built.deploy();
    DeploySpec spec =
        new DeploySpec(
            d.app(),
            image(built),
            d.strategy(),
            d.port(),
            d.env(),
            d.health(),
            d.resources(),
            d.volumes(),
            d.command(),
            d.labels(),
            d.selfHeal());
    return new DeployRequested(deploymentId(built.buildId()), d.app(), spec, built.buildId(), now);
  }

  /** {@code <image>@<digest>} when pushed, else {@code <image>:<first tag>} ({@code latest}). */
  static String image(BuildSucceeded built) {
    if (built.digest() != null && !built.digest().isBlank()) {
      return built.image() + "@" + built.digest();
    }
    return built.image() + ":" + (built.tags().isEmpty() ? "latest" : built.tags().getFirst());
  }

  /** {@code build-<buildId>}, or a digest of the build id when that would be too long. */
  static String deploymentId(String buildId) {
    String id = "build-" + buildId;
    if (Names.isValidId(id)) {
      return id;
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(buildId.getBytes(StandardCharsets.UTF_8));
      return "build-" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
