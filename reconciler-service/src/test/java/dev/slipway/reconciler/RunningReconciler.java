package dev.slipway.reconciler;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.kafka.TopicAdmin;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The reconciler module deployed in a Vert.x of its own, as its {@code Main} would run it, on the
 * real broker and Redis under the test's topic and key prefixes.
 */
final class RunningReconciler implements AutoCloseable {

  static final int PARTITIONS = 2;

  private final Vertx vertx;
  private final ServiceContext context;

  private RunningReconciler(Vertx vertx, ServiceContext context) {
    this.vertx = vertx;
    this.context = context;
  }

  static SlipwayConfig config(String topicPrefix, String keyPrefix) {
    return SlipwayConfig.from(env(topicPrefix, keyPrefix, Map.of()));
  }

  static RunningReconciler start(String topicPrefix, String keyPrefix, Map<String, String> extra)
      throws Exception {
    Env env = env(topicPrefix, keyPrefix, extra);
    SlipwayConfig config = SlipwayConfig.from(env);
    Vertx vertx = Vertx.vertx();
    ServiceContext context = new ServiceContext(vertx, config);
    RunningReconciler running = new RunningReconciler(vertx, context);
    try {
      TopicAdmin.ensure(
          config.requireKafka(), context.topics().all(), PARTITIONS, config.kafkaReplication());
      new ReconcilerModule(ReconcilerConfig.from(env)).deploy(context).await(90, TimeUnit.SECONDS);
    } catch (Exception | Error e) {
      running.close();
      throw e;
    }
    return running;
  }

  private static Env env(String topicPrefix, String keyPrefix, Map<String, String> extra) {
    Map<String, String> vars = new HashMap<>();
    vars.put("SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", KafkaBroker.bootstrapServers());
    vars.put("SLIPWAY_REDIS_URL", RedisServer.url());
    vars.put("SLIPWAY_TOPIC_PREFIX", topicPrefix);
    vars.put("SLIPWAY_KEY_PREFIX", keyPrefix);
    vars.put("SLIPWAY_INSTANCE_ID", "reconciler-it");
    vars.putAll(extra);
    return new Env(vars);
  }

  /** Undeploys the projectors (they commit what they finished and leave their groups). */
  @Override
  public void close() throws Exception {
    try {
      vertx.close().await(60, TimeUnit.SECONDS);
    } finally {
      context.close();
    }
  }
}
