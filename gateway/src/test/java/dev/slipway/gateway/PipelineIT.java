package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.PullImageResultCallback;
import dev.slipway.builder.BuilderModule;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.events.EventTypes;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.GitServer;
import dev.slipway.infra.testing.Kcat;
import dev.slipway.infra.testing.LocalRegistry;
import dev.slipway.reconciler.ReconcilerModule;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole build pipeline in one JVM, as {@code infra/slipway up} runs it: the gateway, the
 * builder and the reconciler on the real broker, Redis, Docker engine, git server and registry.
 */
@DisplayName("A build submitted over REST, end to end")
class PipelineIT {

  private static final String TOKEN = "pipeline-token-" + UUID.randomUUID();
  private static final String PASSWORD = "canary-" + UUID.randomUUID();

  @TempDir static Path dataDir;
  private static GitServer git;
  private static LocalRegistry registry;
  private static ServiceRunner runner;
  private static String base;
  private static final List<String> images = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    DockerEngine.require();
    base = BusyboxImages.randomTag();
    BusyboxImages.build(base, List.of(), Map.of());
    git = GitServer.start();
    registry = LocalRegistry.startWithAuth("ci", PASSWORD);
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env =
        GatewayFixture.platformEnv(dataDir, "pipeline-" + suffix + ".", TOKEN + ":write");
    env.put("SLIPWAY_GIT_SCHEMES", "http");
    SlipwayConfig config = SlipwayConfig.from(new Env(env));
    runner =
        ServiceRunner.start(
            config,
            List.of(
                new BuilderModule(new Env(env), null), new ReconcilerModule(), new GatewayModule()),
            true);
  }

  @AfterAll
  static void stop() {
    if (runner != null) {
      runner.close();
    }
    DockerClient docker = DockerEngine.client();
    for (String image : images) {
      docker
          .listImagesCmd()
          .withReferenceFilter(image)
          .exec()
          .forEach(i -> docker.removeImageCmd(i.getId()).withForce(true).exec());
    }
    BusyboxImages.remove(base);
    if (registry != null) {
      registry.close();
    }
    if (git != null) {
      git.close();
    }
  }

  @Test
  @DisplayName(
      "a Dockerfile in a subdirectory with a build arg is built, pushed with a stored credential,"
          + " pulled back by digest, and an SSE client sees every log line in order, then the end")
  void happyPath() throws Exception {
    GitServer.Repo repo = git.createRepo("shop-" + UUID.randomUUID().toString().substring(0, 6));
    repo.write(
            "services/api/Dockerfile",
            String.join(
                "\n",
                "FROM " + base,
                "ARG VERSION",
                "RUN echo building version $VERSION; i=1; while [ $i -le 300 ]; do echo line $i;"
                    + " i=$((i+1)); done",
                "LABEL version=$VERSION",
                ""))
        .commit("shop");
    String image =
        registry.address() + "/acme/shop-" + UUID.randomUUID().toString().substring(0, 6);
    images.add(image);

    HttpResponse<String> stored =
        send(
            "PUT",
            "/api/v1/registry-credentials/local",
            new JsonObject()
                .put("registry", registry.address())
                .put("username", "ci")
                .put("password", PASSWORD));
    assertThat(stored.statusCode()).isIn(200, 201, 204);

    HttpResponse<String> accepted =
        send(
            "POST",
            "/api/v1/builds",
            new JsonObject()
                .put("repository", repo.url())
                .put("ref", "main")
                .put("context", "services/api")
                .put("dockerfile", "Dockerfile")
                .put("build_args", new JsonObject().put("VERSION", "1.4"))
                .put("image", image)
                .put("tags", List.of("1.4"))
                .put("push", true)
                .put("registry_credential", "local"));
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    String id = new JsonObject(accepted.body()).getString("id");

    List<String[]> events = sse("/api/v1/builds/" + id + "/logs?access_token=" + TOKEN);
    List<Long> seqs = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<String> phases = new ArrayList<>();
    for (String[] event : events) {
      JsonObject data = new JsonObject(event[1]);
      switch (event[0]) {
        case "log" -> {
          seqs.add(data.getLong("seq"));
          texts.add(data.getString("text"));
        }
        case "phase" -> phases.add(data.getString("phase"));
        default -> {}
      }
    }
    String[] last = events.get(events.size() - 1);
    assertThat(last[0]).isEqualTo("status");
    assertThat(new JsonObject(last[1]).getString("status")).as(last[1]).isEqualTo("succeeded");
    for (int i = 0; i < seqs.size(); i++) {
      assertThat(seqs.get(i)).isEqualTo(i + 1L);
    }
    List<String> numbered = texts.stream().filter(t -> t.matches("line \\d+")).toList();
    assertThat(numbered).hasSize(300);
    for (int i = 0; i < 300; i++) {
      assertThat(numbered.get(i)).isEqualTo("line " + (i + 1));
    }
    assertThat(texts).anyMatch(t -> t.contains("building version 1.4"));
    assertThat(phases).containsSubsequence("clone", "build", "push");
    assertThat(String.join("\n", texts)).doesNotContain(PASSWORD);

    JsonObject build = new JsonObject(send("GET", "/api/v1/builds/" + id, null).body());
    assertThat(build.getString("status")).isEqualTo("succeeded");
    String digest = build.getString("digest");
    assertThat(digest).startsWith("sha256:");

    DockerClient docker = DockerEngine.client();
    docker
        .listImagesCmd()
        .withReferenceFilter(image)
        .exec()
        .forEach(i -> docker.removeImageCmd(i.getId()).withForce(true).exec());
    docker
        .pullImageCmd(image + "@" + digest)
        .withAuthConfig(registry.authConfig())
        .exec(new PullImageResultCallback())
        .awaitCompletion(60, TimeUnit.SECONDS);
    assertThat(docker.inspectImageCmd(image + "@" + digest).exec().getConfig().getLabels())
        .containsEntry("version", "1.4")
        .containsEntry("dev.slipway.build", id);
  }

  @Test
  @DisplayName(
      "a stock consumer outside the JVM (kcat) reads the build's events with ce_id, ce_type,"
          + " ce_source, ce_subject and ce_time headers and JSON data, and its log lines in order")
  void stockConsumer() throws Exception {
    GitServer.Repo repo = git.createRepo("kcat-" + UUID.randomUUID().toString().substring(0, 6));
    repo.write(
            "Dockerfile",
            String.join(
                "\n",
                "FROM " + base,
                "RUN i=1; while [ $i -le 5 ]; do echo kcat line $i; i=$((i+1)); done",
                ""))
        .commit("kcat");
    String image = "slipway-it/kcat-" + UUID.randomUUID().toString().substring(0, 6);
    images.add(image);
    HttpResponse<String> accepted =
        send(
            "POST",
            "/api/v1/builds",
            new JsonObject().put("repository", repo.url()).put("image", image));
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    String id = new JsonObject(accepted.body()).getString("id");
    List<String[]> streamed = sse("/api/v1/builds/" + id + "/logs?access_token=" + TOKEN);
    assertThat(new JsonObject(streamed.getLast()[1]).getString("status")).isEqualTo("succeeded");

    // The terminal event comes after every other event and log line of the build: once the SSE
    // stream has ended, both topics hold the whole build.
    String bootstrap = runner.config().kafkaBootstrapServers().orElseThrow();
    TopicSet topics = TopicSet.withPrefix(runner.config().topicPrefix());
    List<Kcat.Record> events =
        Kcat.read(bootstrap, topics.buildEvents().name()).stream()
            .filter(r -> id.equals(r.key()))
            .toList();
    assertThat(events)
        .extracting(r -> r.headers().get("ce_type"))
        .containsSubsequence(
            EventTypes.BUILD_QUEUED,
            EventTypes.BUILD_STARTED,
            EventTypes.BUILD_PHASE_CHANGED,
            EventTypes.BUILD_SUCCEEDED);
    Set<String> ids = new HashSet<>();
    for (Kcat.Record event : events) {
      Map<String, String> headers = event.headers();
      assertThat(headers)
          .as("headers of %s", event.value())
          .containsEntry("ce_specversion", "1.0")
          .containsEntry("ce_source", "/slipway/builder")
          .containsEntry("ce_subject", id)
          .containsEntry("content-type", "application/json");
      assertThat(headers.get("ce_type")).startsWith("dev.slipway.build.");
      assertThat(ids.add(headers.get("ce_id"))).as("ce_id unique").isTrue();
      assertThat(Instant.parse(headers.get("ce_time"))).isAfter(Instant.now().minusSeconds(600));
      assertThat(new JsonObject(event.value()).getString("build_id")).isEqualTo(id);
    }
    JsonObject succeeded = new JsonObject(events.getLast().value());
    assertThat(succeeded.getString("image_id")).startsWith("sha256:");

    List<Long> seqs = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (Kcat.Record batch : Kcat.read(bootstrap, topics.buildLogs().name())) {
      if (!id.equals(batch.key())) {
        continue;
      }
      assertThat(batch.headers())
          .containsEntry("ce_type", EventTypes.BUILD_LOG_BATCH)
          .containsEntry("ce_subject", id);
      for (Object line : new JsonObject(batch.value()).getJsonArray("lines")) {
        seqs.add(((JsonObject) line).getLong("seq"));
        texts.add(((JsonObject) line).getString("text"));
      }
    }
    assertThat(seqs).hasSize(succeeded.getInteger("log_lines"));
    for (int i = 0; i < seqs.size(); i++) {
      assertThat(seqs.get(i)).isEqualTo(i + 1L);
    }
    assertThat(texts.stream().filter(t -> t.startsWith("kcat line ")).toList())
        .containsExactly("kcat line 1", "kcat line 2", "kcat line 3", "kcat line 4", "kcat line 5");
  }

  private HttpResponse<String> send(String method, String path, JsonObject body) throws Exception {
    return ApiRequests.send(http, uri(path), TOKEN, method, body);
  }

  /** Reads an SSE stream to its end: (event name, data) pairs in arrival order. */
  private List<String[]> sse(String path) throws Exception {
    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(uri(path)).timeout(Duration.ofMinutes(3)).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    List<String[]> events = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String event = "message";
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          events.add(new String[] {event, line.substring(5).trim()});
        } else if (line.isEmpty()) {
          event = "message";
        }
      }
    }
    return events;
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + runner.config().httpPort() + path);
  }
}
