package dev.slipway.builder;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.TopicAdmin;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisPrefix;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One builder instance as production runs it: its own Vert.x and {@link ServiceContext}, the {@link
 * BuilderModule} deployed on the shared test broker, Redis and Docker engine, under the topic and
 * key prefixes of the test.
 */
final class BuilderHarness implements AutoCloseable {

  final Vertx vertx;
  final ServiceContext context;
  final SlipwayConfig config;

  private BuilderHarness(Vertx vertx, ServiceContext context, SlipwayConfig config) {
    this.vertx = vertx;
    this.context = context;
    this.config = config;
  }

  /** Creates the prefixed topics (one partition each) if they do not exist yet. */
  static TopicSet topics(String topicPrefix) {
    TopicSet topics = TopicSet.withPrefix(topicPrefix);
    try {
      TopicAdmin.ensure(KafkaBroker.bootstrapServers(), topics.all(), 1, (short) 1);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create topics under " + topicPrefix, e);
    }
    return topics;
  }

  static Map<String, String> env(
      String topicPrefix, String keyPrefix, String instanceId, Path workDir) {
    Map<String, String> env = new HashMap<>();
    env.put("SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", KafkaBroker.bootstrapServers());
    env.put("SLIPWAY_REDIS_URL", RedisServer.url());
    env.put("SLIPWAY_DOCKER_HOST", DockerEngine.host());
    env.put("SLIPWAY_TOPIC_PREFIX", topicPrefix);
    env.put("SLIPWAY_KEY_PREFIX", keyPrefix);
    env.put("SLIPWAY_GIT_SCHEMES", "http,https");
    env.put("SLIPWAY_INSTANCE_ID", instanceId);
    env.put("SLIPWAY_BUILDER_WORK_DIR", workDir.toString());
    return env;
  }

  static BuilderHarness start(Map<String, String> vars, RegistryAuthLookup credentials)
      throws Exception {
    DockerEngine.require();
    Env env = new Env(vars);
    SlipwayConfig config = SlipwayConfig.from(env);
    topics(config.topicPrefix());
    Vertx vertx = Vertx.vertx();
    ServiceContext context = new ServiceContext(vertx, config);
    try {
      new BuilderModule(env, credentials).deploy(context).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close().await(30, TimeUnit.SECONDS);
      context.close();
      throw e;
    }
    return new BuilderHarness(vertx, context, config);
  }

  /** Deletes every Redis key under {@code prefix}: what the builders of a test left. */
  static void deleteKeys(Vertx vertx, String prefix) throws Exception {
    Redis redis = RedisClients.create(vertx, RedisServer.url());
    try {
      RedisPrefix.delete(redis, prefix);
    } finally {
      redis.close();
    }
  }

  /** Stops the instance the way a shutdown does: verticles undeployed, clients closed. */
  @Override
  public void close() {
    try {
      vertx.close().await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("builder did not stop cleanly", e);
    } finally {
      context.close();
    }
  }
}
