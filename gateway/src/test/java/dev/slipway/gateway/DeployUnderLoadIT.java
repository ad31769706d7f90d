package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.slipway.deployer.DeployerConfig;
import dev.slipway.deployer.DeployerModule;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.reconciler.ReconcilerModule;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Blue-green deploys through the whole platform in one JVM (gateway with its edge router, deployer,
 * reconciler) on the real broker, Redis and Docker engine, while clients keep calling the app
 * through the edge router.
 */
@DisplayName("Blue-green redeploys under continuous load, end to end")
class DeployUnderLoadIT {

  private static final String TOKEN = "deploy-token-" + UUID.randomUUID();
  private static final int CLIENTS = 4;
  private static final int REDEPLOYS = 10;
  private static final Duration DEPLOY_DEADLINE = Duration.ofSeconds(90);

  private static String v1;
  private static String v2;
  private static String app;
  private static Path dataDir;
  private static SlipwayConfig config;
  private static ServiceRunner runner;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @BeforeAll
  static void start() throws Exception {
    DockerEngine.require();
    v1 = BusyboxImages.randomTag();
    v2 = BusyboxImages.randomTag();
    BusyboxImages.httpImage(v1, Map.of("up", "ok", "version", "v1"));
    BusyboxImages.httpImage(v2, Map.of("up", "ok", "version", "v2"));
    app = "load-" + UUID.randomUUID().toString().substring(0, 8);
    dataDir = Files.createTempDirectory("slipway-deploy-load");
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env =
        GatewayFixture.platformEnv(dataDir, "deploy-load-" + suffix + ".", TOKEN + ":write");
    config = SlipwayConfig.from(new Env(env));
    DeployerConfig deployer = GatewayFixture.shortDeployWaits(env);
    runner =
        ServiceRunner.start(
            config,
            List.of(new DeployerModule(deployer), new ReconcilerModule(), new GatewayModule()),
            true);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (runner != null) {
        runner.close();
      }
    } finally {
      // Anything the deploy left behind (a failed run), removed by id.
      DockerClient docker = DockerEngine.client();
      for (Container c : appContainers()) {
        docker.removeContainerCmd(c.getId()).withForce(true).exec();
      }
      BusyboxImages.remove(v1);
      BusyboxImages.remove(v2);
      try (var paths = Files.walk(dataDir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static List<Container> appContainers() {
    return DockerEngine.client()
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of(Labels.APP, app))
        .exec();
  }

  @Test
  @DisplayName(
      "ten blue-green redeploys alternating v2 and v1 under four looping clients fail no request,"
          + " each client sees the version switch exactly once per deploy, and removing the app"
          + " leaves no container")
  void zeroFailedRequests() throws Exception {
    String first = deploy(v1);
    awaitDeployment(first);
    await().atMost(Duration.ofSeconds(20)).until(() -> "v1".equals(edgeVersion()));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong requests = new AtomicLong();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    List<List<String>> seen = new ArrayList<>();
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      List<String> versions = Collections.synchronizedList(new ArrayList<>());
      seen.add(versions);
      clients.add(
          Thread.ofVirtual()
              .name("load-" + i)
              .start(() -> loop(stop, requests, failures, versions)));
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
    try {
      for (int i = 0; i < REDEPLOYS && System.nanoTime() < deadline; i++) {
        String image = i % 2 == 0 ? v2 : v1;
        String id = deploy(image);
        awaitDeployment(id);
        String expected = i % 2 == 0 ? "v2" : "v1";
        long before = requests.get();
        // Every client has moved on: a few requests after the deploy ended answer the new version.
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    requests.get() > before + CLIENTS * 5L
                        && seen.stream()
                            .allMatch(v -> !v.isEmpty() && v.get(v.size() - 1).equals(expected)));
      }
    } finally {
      stop.set(true);
      for (Thread t : clients) {
        t.join(Duration.ofSeconds(30));
      }
    }

    assertThat(failures).as("failed requests").isEmpty();
    assertThat(requests.get()).as("requests made").isGreaterThan(REDEPLOYS * 20L);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i <= REDEPLOYS; i++) {
      expected.add(i % 2 == 0 ? "v1" : "v2");
    }
    for (int i = 0; i < CLIENTS; i++) {
      assertThat(collapse(seen.get(i)))
          .as("versions client %d saw, repeats collapsed", i)
          .containsExactlyElementsOf(expected);
    }

    HttpResponse<String> removed = send("DELETE", "/api/v1/apps/" + app, null);
    assertThat(removed.statusCode()).isEqualTo(202);
    await()
        .atMost(DEPLOY_DEADLINE)
        .until(() -> send("GET", "/api/v1/apps/" + app, null).statusCode() == 404);
    await().atMost(Duration.ofSeconds(30)).until(() -> appContainers().isEmpty());
  }

  private void loop(
      AtomicBoolean stop,
      AtomicLong requests,
      ConcurrentLinkedQueue<String> failures,
      List<String> versions) {
    while (!stop.get()) {
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(edge("/apps/" + app + "/version")))
                    .timeout(Duration.ofSeconds(10))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        requests.incrementAndGet();
        String body = r.body().trim();
        if (r.statusCode() != 200 || !(body.equals("v1") || body.equals("v2"))) {
          failures.add(r.statusCode() + " " + body);
        } else if (versions.isEmpty() || !versions.get(versions.size() - 1).equals(body)) {
          versions.add(body);
        }
      } catch (Exception e) {
        requests.incrementAndGet();
        failures.add(e.toString());
      }
    }
  }

  private static List<String> collapse(List<String> versions) {
    List<String> out = new ArrayList<>();
    synchronized (versions) {
      for (String v : versions) {
        if (out.isEmpty() || !out.get(out.size() - 1).equals(v)) {
          out.add(v);
        }
      }
    }
    return out;
  }

  private String deploy(String image) throws Exception {
    JsonObject body =
        new JsonObject()
            .put("image", image)
            .put("port", BusyboxImages.HTTP_PORT)
            .put(
                "health",
                new JsonObject().put("path", "/up").put("interval", "100ms").put("timeout", "1s"));
    HttpResponse<String> accepted = send("POST", "/api/v1/apps/" + app + "/deployments", body);
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    return new JsonObject(accepted.body()).getString("id");
  }

  private void awaitDeployment(String id) {
    String path = "/api/v1/apps/" + app + "/deployments/" + id;
    await()
        .atMost(DEPLOY_DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              HttpResponse<String> r = send("GET", path, null);
              if (r.statusCode() != 200) {
                return false;
              }
              String status = new JsonObject(r.body()).getString("status");
              assertThat(status).as(r.body()).isIn("running", "succeeded");
              return "succeeded".equals(status);
            });
  }

  private String edgeVersion() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(edge("/apps/" + app + "/version")))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body().trim() : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static String edge(String path) {
    return "http://127.0.0.1:" + config.edgePort() + path;
  }

  private HttpResponse<String> send(String method, String path, JsonObject body) throws Exception {
    return ApiRequests.send(
        http, URI.create("http://127.0.0.1:" + config.httpPort() + path), TOKEN, method, body);
  }
}
