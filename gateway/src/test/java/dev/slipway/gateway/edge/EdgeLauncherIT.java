package dev.slipway.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.gateway.GatewayModule;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The gateway process with its edge router")
class EdgeLauncherIT {

  @Test
  @DisplayName(
      "the gateway serves app traffic on SLIPWAY_EDGE_PORT under SLIPWAY_DOMAIN and reports"
          + " under its instance id, and removes the report when it stops")
  void gatewayRunsTheEdge() throws Exception {
    Path dataDir = Files.createTempDirectory("slipway-edge-launcher");
    String instance = "edge-launcher-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env = new HashMap<>();
    int[] ports = LoopbackPorts.free(2);
    env.put("SLIPWAY_HTTP_PORT", String.valueOf(ports[0]));
    env.put("SLIPWAY_EDGE_PORT", String.valueOf(ports[1]));
    env.put("SLIPWAY_DOMAIN", "apps.test");
    env.put("SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", KafkaBroker.bootstrapServers());
    env.put("SLIPWAY_REDIS_URL", RedisServer.url());
    env.put("SLIPWAY_DATA_DIR", dataDir.toString());
    env.put("SLIPWAY_API_TOKENS", "edge-launcher-token-0123:write");
    env.put("SLIPWAY_KEY_PREFIX", RedisServer.randomKeyPrefix());
    env.put("SLIPWAY_TOPIC_PREFIX", "test-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    env.put("SLIPWAY_INSTANCE_ID", instance);
    SlipwayConfig config = SlipwayConfig.from(new Env(env));
    RedisKeys keys = new RedisKeys(config.keyPrefix());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    try (ServiceRunner runner = ServiceRunner.start(config, List.of(new GatewayModule()), true)) {
      Redis redis = runner.context().redis();
      HttpServer upstream =
          runner
              .vertx()
              .createHttpServer()
              .requestHandler(r -> r.response().end("hello from " + r.uri()))
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS);
      redis
          .send(
              Request.cmd(Command.HSET)
                  .arg(keys.routes())
                  .arg("hello")
                  .arg("127.0.0.1:" + upstream.actualPort()))
          .await(10, TimeUnit.SECONDS);
      long version =
          redis.send(Request.cmd(Command.INCR).arg(keys.routesVersion())).await().toLong();
      redis
          .send(Request.cmd(Command.PUBLISH).arg(keys.routesChannel()).arg(version))
          .await(10, TimeUnit.SECONDS);

      HttpRequest request =
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + config.edgePort() + "/apps/hello/page"))
              .timeout(Duration.ofSeconds(10))
              .build();
      await("the app answers through the edge")
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> http.send(request, HttpResponse.BodyHandlers.ofString()).body(),
              body -> body.equals("hello from /page"));
      await("the report carries the version")
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  String.valueOf(
                      redis
                          .send(
                              Request.cmd(Command.HGET)
                                  .arg(keys.edge(instance))
                                  .arg(EdgeReporter.VERSION))
                          .await(10, TimeUnit.SECONDS)),
              v -> v.equals(Long.toString(version)));
      long ttl = redis.send(Request.cmd(Command.PTTL).arg(keys.edge(instance))).await().toLong();
      assertThat(ttl).isBetween(1L, 5_000L);

      redis.send(Request.cmd(Command.DEL).arg(keys.routes()).arg(keys.routesVersion())).await();
    }

    Vertx vertx = Vertx.vertx();
    try {
      Redis redis = RedisClients.create(vertx, RedisServer.url());
      assertThat(
              redis
                  .send(Request.cmd(Command.EXISTS).arg(keys.edge(instance)))
                  .await(10, TimeUnit.SECONDS)
                  .toInteger())
          .isZero();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      try (var files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
