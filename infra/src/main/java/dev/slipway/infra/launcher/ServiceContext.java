package dev.slipway.infra.launcher;

import com.github.dockerjava.api.DockerClient;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.docker.DockerClients;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.health.Health;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.kafka.KafkaClients;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a service needs to deploy: Vert.x, the configuration and the process's shared clients.
 * Clients are created on first use, and each registers its readiness check then, so {@code /health}
 * checks exactly the connections the process's services use.
 */
public final class ServiceContext implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServiceContext.class);

  private final Vertx vertx;
  private final SlipwayConfig config;
  private final Health health;
  private EventPublisher publisher;
  private Admin kafkaAdmin;
  private Redis redis;
  private DockerClient docker;

  public ServiceContext(Vertx vertx, SlipwayConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.health = new Health(vertx);
  }

  public Vertx vertx() {
    return vertx;
  }

  public SlipwayConfig config() {
    return config;
  }

  public Health health() {
    return health;
  }

  /** Slipway's topics under the configured prefix. */
  public TopicSet topics() {
    return TopicSet.withPrefix(config.topicPrefix());
  }

  public RedisKeys redisKeys() {
    return new RedisKeys(config.keyPrefix());
  }

  /** A publisher whose events carry the source {@code /slipway/<service>}. */
  public synchronized EventPublisher publisher(String service) {
    if (publisher == null) {
      publisher =
          new EventPublisher(
              vertx, config.requireKafka(), "/slipway", config.instanceId() + "-producer");
      kafkaCheck();
    }
    return publisher.withSource("/slipway/" + service);
  }

  /** Registers the Kafka readiness check (consumers use Kafka without a publisher). */
  public synchronized void kafkaCheck() {
    if (kafkaAdmin == null) {
      kafkaAdmin = Admin.create(KafkaClients.admin(config.requireKafka()));
      health.register(
          "kafka",
          () ->
              Blocking.run(
                  vertx,
                  () -> kafkaAdmin.describeCluster().nodes().get(2, TimeUnit.SECONDS).size()));
    }
  }

  public synchronized Redis redis() {
    if (redis == null) {
      redis = RedisClients.create(vertx, config.redisUrl().toString());
      Redis client = redis;
      health.register("redis", () -> client.send(Request.cmd(Command.PING)));
    }
    return redis;
  }

  public synchronized DockerClient docker() {
    if (docker == null) {
      docker = DockerClients.create(config.dockerHost().toString());
      DockerClient client = docker;
      health.register("docker", () -> Blocking.run(vertx, () -> client.pingCmd().exec()));
    }
    return docker;
  }

  /** Closes the clients; call after Vert.x has undeployed the verticles that use them. */
  @Override
  public synchronized void close() {
    if (publisher != null) {
      publisher.close();
    }
    if (kafkaAdmin != null) {
      kafkaAdmin.close();
    }
    if (redis != null) {
      redis.close();
    }
    if (docker != null) {
      try {
        docker.close();
      } catch (IOException e) {
        log.warn("docker client close failed", e);
      }
    }
  }
}
