package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.launcher.ServiceContext;
import dev.slipway.infra.launcher.ServiceModule;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The launcher with the gateway on the real Kafka, Redis and Docker engine")
class LauncherIT {

  private final HttpClient http = HttpClient.newHttpClient();

  /** Stands in for a back-end service: it needs Docker, so readiness must check it. */
  private static final class NeedsDocker implements ServiceModule {
    @Override
    public String name() {
      return "needs-docker";
    }

    @Override
    public Future<?> deploy(ServiceContext context) {
      context.docker();
      return context.health().requireUp();
    }
  }

  private static SlipwayConfig config(Path dataDir, String redisUrl) throws IOException {
    DockerEngine.require();
    int[] ports = LoopbackPorts.free(2);
    return SlipwayConfig.from(
        new Env(
            Map.of(
                "SLIPWAY_HTTP_PORT", String.valueOf(ports[0]),
                "SLIPWAY_EDGE_PORT", String.valueOf(ports[1]),
                "SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", KafkaBroker.bootstrapServers(),
                "SLIPWAY_REDIS_URL", redisUrl,
                "SLIPWAY_DATA_DIR", dataDir.toString(),
                "SLIPWAY_API_TOKENS", "launcher-test-token-0123:write")));
  }

  @Test
  @DisplayName("GET /health reports Kafka, Redis and Docker up, and 404s are problem+json")
  void healthUp(@TempDir Path dataDir) throws Exception {
    SlipwayConfig config = config(dataDir, RedisServer.url());
    try (ServiceRunner runner =
        ServiceRunner.start(config, List.of(new NeedsDocker(), new GatewayModule()), true)) {
      HttpResponse<String> health = get(config.httpPort(), "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      JsonObject body = new JsonObject(health.body());
      assertThat(body.getString("status")).isEqualTo("UP");
      for (String check : List.of("kafka", "redis", "docker")) {
        assertThat(body.getJsonObject("checks").getJsonObject(check).getString("status"))
            .as(check)
            .isEqualTo("UP");
      }
      assertThat(get(config.httpPort(), "/health/live").statusCode()).isEqualTo(200);

      HttpResponse<String> missing = get(config.httpPort(), "/nope");
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(missing.headers().firstValue("content-type")).hasValue("application/problem+json");
    }
  }

  @Test
  @DisplayName("readiness turns 503 and names Redis when Redis stops answering")
  void healthDown(@TempDir Path dataDir) throws Exception {
    // A Redis of its own, so stopping it does not disturb other tests.
    try (RedisServer.Instance redis = RedisServer.startPrivate()) {
      SlipwayConfig config = config(dataDir, redis.url());
      try (ServiceRunner runner = ServiceRunner.start(config, List.of(new GatewayModule()), true)) {
        assertThat(get(config.httpPort(), "/health").statusCode()).isEqualTo(200);
        redis.stop();
        HttpResponse<String> health = get(config.httpPort(), "/health");
        assertThat(health.statusCode()).isEqualTo(503);
        JsonObject checks = new JsonObject(health.body()).getJsonObject("checks");
        assertThat(checks.getJsonObject("redis").getString("status")).isEqualTo("DOWN");
        assertThat(checks.getJsonObject("kafka").getString("status")).isEqualTo("UP");
      }
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
