package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Image;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildQueued;
import dev.slipway.infra.events.BuildEvent.BuildStarted;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.LogStream;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.GitServer;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A build whose builder stops is taken over or fails, never left running")
class BuilderFailoverIT {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private static String baseImage;
  private static Path workDir;
  private static GitServer git;
  private static TopicSet topics;
  private static String topicPrefix;
  private static String keyPrefix;
  private static TopicReader reader;
  private static Vertx client;
  private static EventPublisher gateway;

  private final List<BuilderHarness> builders = new ArrayList<>();
  private final List<String> buildIds = new ArrayList<>();

  /**
   * The builder process's temp dir: what a killed JVM leaves there (Vert.x's file cache) goes too.
   */
  @TempDir Path childTmp;

  @BeforeAll
  static void startAll() throws Exception {
    DockerEngine.require();
    baseImage = BusyboxImages.randomTag();
    BusyboxImages.build(baseImage, List.of(), Map.of());
    git = GitServer.start();
    workDir = Files.createTempDirectory("slipway-builder-failover");
    topicPrefix = "test-failover-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    keyPrefix = RedisServer.randomKeyPrefix();
    topics = BuilderHarness.topics(topicPrefix);
    reader = new TopicReader(topics);
    client = Vertx.vertx();
    gateway = new EventPublisher(client, KafkaBroker.bootstrapServers(), "/test/gateway", "gw");
  }

  @AfterAll
  static void stopAll() throws Exception {
    if (gateway != null) {
      BuilderHarness.deleteKeys(client, keyPrefix);
      gateway.close();
      client.close().await(20, TimeUnit.SECONDS);
    }
    if (reader != null) {
      reader.close();
    }
    if (git != null) {
      git.close();
    }
    if (baseImage != null) {
      BusyboxImages.remove(baseImage);
    }
    if (workDir != null) {
      BuildPipeline.deleteTree(workDir);
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (BuilderHarness builder : builders) {
      builder.close();
    }
    DockerClient docker = DockerEngine.client();
    for (String id : buildIds) {
      for (Image image : docker.listImagesCmd().withLabelFilter(Map.of(Labels.BUILD, id)).exec()) {
        try {
          docker.removeImageCmd(image.getId()).withForce(true).exec();
        } catch (NotFoundException gone) {
          // fine
        }
      }
    }
    String base = docker.inspectImageCmd(baseImage).exec().getId();
    await("no build container left")
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                docker
                    .listContainersCmd()
                    .withShowAll(true)
                    .withAncestorFilter(List.of(base))
                    .exec()
                    .isEmpty());
    await("work directories removed")
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              try (var files = Files.list(workDir)) {
                return files.findAny().isEmpty();
              }
            });
  }

  @Test
  @DisplayName(
      "a builder that stops mid-build loses the build to another one, which runs attempt 2 to"
          + " success and says why in the log")
  void takenOver() throws Exception {
    BuildRequested request = slowBuild();
    BuilderHarness a = builder("builder-a");
    submit(request);
    awaitStepStarted(request.buildId(), 1);
    stop(a);

    builder("builder-b");
    BuildSucceeded done = awaitVerdict(request.buildId(), BuildSucceeded.class);

    assertTakenOverByB(request.buildId(), done);
  }

  @Test
  @DisplayName(
      "a builder process killed with SIGKILL mid-build loses the build to another one, which runs"
          + " attempt 2 to success and removes the clone the dead one left")
  void killedProcess() throws Exception {
    BuildRequested request = slowBuild();
    Process child = builderProcess("builder-a");
    try {
      submit(request);
      awaitStepStarted(request.buildId(), 1);
      List<Path> clones = clones();
      assertThat(clones).as("the running build's clone").hasSize(1);

      child.destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up
      assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(clones.getFirst()).as("nothing removed the dead builder's clone yet").exists();

      builder("builder-b");
      assertThat(clones.getFirst()).as("removed when the next builder started").doesNotExist();
      assertTakenOverByB(request.buildId(), awaitVerdict(request.buildId(), BuildSucceeded.class));
    } finally {
      child.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a build that loses its builder on the last allowed attempt fails as builder_lost")
  void lostTwice() throws Exception {
    BuildRequested request = slowBuild();
    BuilderHarness a = builder("builder-a");
    submit(request);
    awaitStepStarted(request.buildId(), 1);
    stop(a);
    BuilderHarness b = builder("builder-b");
    awaitStepStarted(request.buildId(), 2);
    stop(b);

    builder("builder-c");
    BuildFailed failed = awaitVerdict(request.buildId(), BuildFailed.class);

    assertThat(failed.reason()).isEqualTo(BuildFailureReason.BUILDER_LOST);
    assertThat(failed.message())
        .startsWith("builder builder-b stopped responding during attempt 2; giving up after 2");
    List<BuildEvent> events = reader.events(request.buildId());
    assertThat(events.stream().filter(BuildStarted.class::isInstance))
        .extracting(e -> ((BuildStarted) e).attempt())
        .containsExactly(1, 2);
    assertThat(events).noneMatch(BuildSucceeded.class::isInstance);
    List<LogLine> lines = reader.lines(request.buildId());
    assertSeqsIncrease(lines);
    assertThat(lines.getLast().text()).startsWith("build failed: builder builder-b stopped");
    assertThat(failed.logLines()).isEqualTo(lines.getLast().seq());
  }

  // ---- helpers ----

  private BuilderHarness builder(String instance) throws Exception {
    Map<String, String> env =
        new HashMap<>(BuilderHarness.env(topicPrefix, keyPrefix, instance, workDir));
    // A short lease so a stopped builder's builds are taken over within a couple of seconds.
    env.put("SLIPWAY_BUILDER_LEASE_MS", "1500");
    env.put("SLIPWAY_BUILDER_MAX_ATTEMPTS", "2");
    BuilderHarness harness = BuilderHarness.start(env, new InMemoryRegistryAuthLookup());
    builders.add(harness);
    return harness;
  }

  /** Runs the builder service's {@code Main} in a JVM of its own, as in production. */
  private Process builderProcess(String instance) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder process =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-Djava.io.tmpdir=" + childTmp,
            "-cp",
            classpath,
            Main.class.getName());
    process.environment().putAll(BuilderHarness.env(topicPrefix, keyPrefix, instance, workDir));
    process.environment().put("SLIPWAY_BUILDER_LEASE_MS", "1500");
    process.environment().put("SLIPWAY_BUILDER_MAX_ATTEMPTS", "2");
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      process.environment().put("SLIPWAY_HTTP_PORT", String.valueOf(free.getLocalPort()));
    }
    File log = Path.of("target", "killed-builder-" + topicPrefix + "log").toFile();
    return process.redirectErrorStream(true).redirectOutput(log).start();
  }

  /** The clone directories of running builds: inside each builder's own directory. */
  private static List<Path> clones() throws Exception {
    try (Stream<Path> files = Files.walk(workDir, 2)) {
      return files.filter(p -> p.getNameCount() - workDir.getNameCount() == 2).toList();
    }
  }

  /** Stops a builder without letting its build finish: it is abandoned mid-step. */
  private void stop(BuilderHarness builder) throws Exception {
    builders.remove(builder);
    builder.close();
  }

  private BuildRequested slowBuild() {
    GitServer.Repo repo = git.createRepo("slow-" + UUID.randomUUID().toString().substring(0, 8));
    repo.write("Dockerfile", "FROM " + baseImage + "\nRUN echo step-started && sleep 3\n")
        .commit("slow");
    String id = "b-" + UUID.randomUUID();
    buildIds.add(id);
    return new BuildRequested(
        id,
        repo.url(),
        null,
        ".",
        "Dockerfile",
        Map.of(),
        "slipway-test/failover-" + id.substring(2, 10),
        List.of("t"),
        false,
        null,
        null,
        Map.of(),
        null,
        null,
        null,
        Instant.now());
  }

  private static void submit(BuildRequested request) throws Exception {
    gateway.publish(topics.buildCommands(), request.buildId(), request).await(10, TimeUnit.SECONDS);
  }

  private static void awaitStepStarted(String buildId, int times) {
    await("the slow step has started " + times + " time(s)")
        .atMost(DEADLINE)
        .until(
            () -> reader.texts(buildId).stream().filter("step-started"::equals).count() >= times);
  }

  private static <T extends BuildEvent> T awaitVerdict(String buildId, Class<T> type) {
    BuildEvent verdict =
        await("verdict of " + buildId)
            .atMost(DEADLINE)
            .until(() -> reader.terminal(buildId), e -> e != null);
    assertThat(verdict).as("verdict; log: %s", reader.texts(buildId)).isInstanceOf(type);
    reader.awaitLastLine(buildId, verdict, DEADLINE);
    return type.cast(verdict);
  }

  /**
   * builder-a ran attempt 1 and lost it, builder-b ran attempt 2 to the one verdict and said why in
   * the log, and the log is whole.
   */
  private static void assertTakenOverByB(String buildId, BuildSucceeded done) {
    List<BuildEvent> events = reader.events(buildId);
    assertThat(events.stream().filter(BuildQueued.class::isInstance)).hasSize(1);
    assertThat(events.stream().filter(BuildStarted.class::isInstance))
        .extracting(e -> ((BuildStarted) e).builder() + "#" + ((BuildStarted) e).attempt())
        .containsExactly("builder-a#1", "builder-b#2");
    assertThat(events.stream().filter(BuildEvent::terminal)).hasSize(1);

    List<LogLine> lines = reader.lines(buildId);
    assertThat(lines)
        .filteredOn(l -> l.stream() == LogStream.SYSTEM)
        .extracting(LogLine::text)
        .contains("builder builder-a stopped responding; retrying (attempt 2)");
    assertSeqsIncrease(lines);
    assertThat(done.logLines()).isEqualTo(lines.getLast().seq());
  }

  /** Seqs never repeat and only grow, across attempts too (attempts may leave a gap). */
  private static void assertSeqsIncrease(List<LogLine> lines) {
    for (int i = 1; i < lines.size(); i++) {
      assertThat(lines.get(i).seq())
          .as("seq after %s", lines.get(i - 1))
          .isGreaterThan(lines.get(i - 1).seq());
    }
  }
}
