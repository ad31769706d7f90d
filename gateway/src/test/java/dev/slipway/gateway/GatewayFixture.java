package dev.slipway.gateway;

import dev.slipway.deployer.DeployerConfig;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.KafkaClients;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisPrefix;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The gateway running through the real launcher on the shared test broker and Redis, isolated by a
 * random topic prefix, key prefix, data dir and port; plus the HTTP, Kafka and Redis helpers the
 * gateway ITs share.
 */
final class GatewayFixture implements AutoCloseable {

  static final String WRITE_TOKEN = "write-token-" + UUID.randomUUID();
  static final String READ_TOKEN = "read-token-" + UUID.randomUUID();
  static final Duration DEADLINE = Duration.ofSeconds(20);

  final SlipwayConfig config;
  final TopicSet topics;
  final RedisKeys keys;
  final Path dataDir;
  final ServiceRunner runner;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Vertx vertx = Vertx.vertx();
  final Redis redis;

  GatewayFixture(GatewayOptions options) throws IOException {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    dataDir = Files.createTempDirectory("slipway-gateway-it");
    Map<String, String> env =
        platformEnv(
            dataDir, "test-" + suffix + ".", WRITE_TOKEN + ":write," + READ_TOKEN + ":read");
    env.put("SLIPWAY_KAFKA_PARTITIONS", "2");
    config = SlipwayConfig.from(new Env(env));
    topics = TopicSet.withPrefix(config.topicPrefix());
    keys = new RedisKeys(config.keyPrefix());
    runner = ServiceRunner.start(config, List.of(new GatewayModule(options)), true);
    redis = RedisClients.create(vertx, RedisServer.url());
  }

  String url(String path) {
    return "http://127.0.0.1:" + config.httpPort() + path;
  }

  HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path, String token) throws Exception {
    return send(request(path, token).GET().build());
  }

  HttpResponse<String> postJson(String path, String token, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        request(path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b.build());
  }

  HttpResponse<String> putJson(String path, String token, String body) throws Exception {
    return send(
        request(path, token)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  HttpResponse<String> delete(String path, String token) throws Exception {
    return send(request(path, token).DELETE().build());
  }

  static JsonObject json(HttpResponse<String> response) {
    return new JsonObject(response.body());
  }

  Response redis(Request request) throws Exception {
    return redis.send(request).await(10, TimeUnit.SECONDS);
  }

  /** Every key under this gateway's prefix. */
  List<String> redisKeys() throws Exception {
    return RedisPrefix.keys(redis, keys.prefix());
  }

  /** Every record on {@code topic} so far, in offset order per partition. */
  static List<ConsumerRecord<String, byte[]>> records(String topic) {
    return KafkaBroker.readToEnd(List.of(topic));
  }

  /** The sum of the end offsets of {@code topic}: grows by one per record published. */
  static long endOffsets(String topic) {
    Map<String, Object> props =
        KafkaClients.consumer(KafkaBroker.bootstrapServers(), KafkaBroker.randomGroup(), "it-end");
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts =
          c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      return c.endOffsets(parts, Duration.ofSeconds(10)).values().stream()
          .mapToLong(Long::longValue)
          .sum();
    }
  }

  /**
   * The environment of an in-process platform in these tests: free loopback ports, the test broker
   * and Redis, its own data dir, key prefix and topic prefix, and {@code apiTokens}.
   */
  static Map<String, String> platformEnv(Path dataDir, String topicPrefix, String apiTokens)
      throws IOException {
    Map<String, String> env = new HashMap<>();
    int[] ports = LoopbackPorts.free(2);
    env.put("SLIPWAY_HTTP_PORT", String.valueOf(ports[0]));
    env.put("SLIPWAY_EDGE_PORT", String.valueOf(ports[1]));
    env.put("SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", KafkaBroker.bootstrapServers());
    env.put("SLIPWAY_REDIS_URL", RedisServer.url());
    env.put("SLIPWAY_DATA_DIR", dataDir.toString());
    env.put("SLIPWAY_API_TOKENS", apiTokens);
    env.put("SLIPWAY_KEY_PREFIX", RedisServer.randomKeyPrefix());
    env.put("SLIPWAY_TOPIC_PREFIX", topicPrefix);
    return env;
  }

  /**
   * The deployer's configuration from {@code env} with short waits, so several deploys fit a test's
   * time; the drain still waits for the edge report.
   */
  static DeployerConfig shortDeployWaits(Map<String, String> env) {
    return DeployerConfig.from(new Env(env))
        .withTimings(
            Duration.ofSeconds(20),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1));
  }

  @Override
  public void close() throws Exception {
    try {
      List<String> written = redisKeys();
      if (!written.isEmpty()) {
        Request del = Request.cmd(Command.DEL);
        written.forEach(del::arg);
        redis(del);
      }
    } finally {
      runner.close();
      redis.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
      try (Stream<Path> paths = Files.walk(dataDir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
