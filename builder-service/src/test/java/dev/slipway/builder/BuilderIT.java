package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Image;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.BuildCommand.BuildCancelRequested;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildEvent.BuildCancelled;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildPhaseChanged;
import dev.slipway.infra.events.BuildEvent.BuildQueued;
import dev.slipway.infra.events.BuildEvent.BuildStarted;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.LogStream;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.GitServer;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.LocalRegistry;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("The builder on the real Kafka, Redis, Docker engine, git server and registry")
class BuilderIT {

  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final String REGISTRY_USER = "slipway";

  private static String canaryPassword;
  private static String baseImage;
  private static Path workDir;
  private static GitServer git;
  private static LocalRegistry registry;
  private static InMemoryRegistryAuthLookup credentials;
  private static TopicSet topics;
  private static String keyPrefix;
  private static BuilderHarness builder;
  private static TopicReader reader;
  private static Vertx client;
  private static EventPublisher gateway;
  private static ListAppender<ILoggingEvent> serviceLogs;

  private final Set<String> buildIds = ConcurrentHashMap.newKeySet();
  private final List<String> imageRefs = new ArrayList<>();

  @BeforeAll
  static void startAll() throws Exception {
    serviceLogs = new ListAppender<>();
    serviceLogs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(serviceLogs);

    DockerEngine.require();
    baseImage = BusyboxImages.randomTag();
    BusyboxImages.build(baseImage, List.of(), Map.of());
    canaryPassword = "canary-" + UUID.randomUUID();
    git = GitServer.start();
    registry = LocalRegistry.startWithAuth(REGISTRY_USER, canaryPassword);
    credentials =
        new InMemoryRegistryAuthLookup()
            .put("registry", new RegistryAuth(registry.address(), REGISTRY_USER, canaryPassword));
    workDir = Files.createTempDirectory("slipway-builder-it");
    String prefix = "test-builder-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    topics = BuilderHarness.topics(prefix);
    keyPrefix = RedisServer.randomKeyPrefix();
    builder =
        BuilderHarness.start(
            BuilderHarness.env(prefix, keyPrefix, "builder-it", workDir), credentials);
    reader = new TopicReader(topics);
    client = Vertx.vertx();
    gateway = new EventPublisher(client, KafkaBroker.bootstrapServers(), "/test/gateway", "gw");
  }

  @AfterAll
  static void stopAll() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .detachAppender(serviceLogs);
    if (gateway != null) {
      BuilderHarness.deleteKeys(client, keyPrefix);
      gateway.close();
      client.close().await(20, TimeUnit.SECONDS);
    }
    if (reader != null) {
      reader.close();
    }
    if (builder != null) {
      builder.close();
    }
    if (registry != null) {
      registry.close();
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
  void removeImages() {
    // A failed test can leave builds running: let them finish so their images can be removed.
    await("every accepted build has a verdict")
        .atMost(DEADLINE)
        .until(
            () ->
                buildIds.stream()
                    .filter(id -> !reader.events(id).isEmpty())
                    .allMatch(id -> reader.terminal(id) != null));
    DockerClient docker = DockerEngine.client();
    for (String ref : imageRefs) {
      removeImage(docker, ref);
    }
    for (String id : buildIds) {
      for (Image image : docker.listImagesCmd().withLabelFilter(Map.of(Labels.BUILD, id)).exec()) {
        removeImage(docker, image.getId());
      }
    }
    // Every build's work directory is gone once its verdict is out.
    await().atMost(Duration.ofSeconds(10)).until(() -> listWorkDir().isEmpty());
  }

  // ---- tests ----

  @Test
  @DisplayName(
      "a build from a subdirectory is pushed with the stored credential, its build arg lands in"
          + " the image, and every log line arrives once, in order, with seqs 1..n")
  void happyPath() throws Exception {
    GitServer.Repo repo = git.createRepo("happy-" + suffix());
    repo.write(
            "app/Dockerfile",
            """
            FROM scratch
            ARG VERSION
            LABEL version=$VERSION
            COPY payload.txt /payload.txt
            """)
        .write("app/payload.txt", "hello from slipway\n");
    String sha = repo.commit("first");
    String image = registry.address() + "/team/happy-" + suffix();
    BuildRequested request =
        request(repo.url(), null, "app", "Dockerfile", image)
            .withArgs(Map.of("VERSION", "1.2.3"))
            .withTags(List.of("v1", "latest"))
            .withPush("registry")
            .build();
    imageRefs.add(image + ":v1");
    imageRefs.add(image + ":latest");

    submit(request);
    BuildSucceeded done = awaitTerminal(request.buildId(), BuildSucceeded.class);

    assertThat(done.commitSha()).isEqualTo(sha);
    assertThat(done.tags()).containsExactly("v1", "latest");
    assertThat(done.imageId()).startsWith("sha256:");
    assertThat(done.digest()).matches("sha256:[0-9a-f]{64}");
    List<BuildEvent> events = reader.events(request.buildId());
    assertThat(events)
        .extracting(e -> e.getClass().getSimpleName())
        .containsExactly(
            "BuildQueued",
            "BuildStarted",
            "BuildPhaseChanged",
            "BuildPhaseChanged",
            "BuildPhaseChanged",
            "BuildSucceeded");
    assertThat(events.stream().filter(BuildPhaseChanged.class::isInstance))
        .extracting(e -> ((BuildPhaseChanged) e).phase())
        .containsExactly(BuildPhase.CLONE, BuildPhase.BUILD, BuildPhase.PUSH);
    BuildStarted started = (BuildStarted) events.get(1);
    assertThat(started.attempt()).isEqualTo(1);
    assertThat(started.builder()).isEqualTo("builder-it");

    List<LogLine> lines = reader.lines(request.buildId());
    assertThat(lines)
        .extracting(LogLine::seq)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, lines.size()).boxed().toList());
    assertThat(done.logLines()).isEqualTo(lines.size());
    List<String> texts = lines.stream().map(LogLine::text).toList();
    assertThat(texts)
        .containsSubsequence(
            "cloning " + repo.url() + " at the default branch",
            "Step 1/5 : FROM scratch",
            "Step 2/5 : ARG VERSION",
            "Step 4/5 : COPY payload.txt /payload.txt",
            "Successfully tagged " + image + ":v1",
            "pushing " + image + ":v1",
            "pushed " + image + "@" + done.digest());
    assertThat(texts.getLast()).startsWith("build succeeded in ");
    assertThat(lines.getLast().stream()).isEqualTo(LogStream.SYSTEM);

    // The registry has it under the digest: pull it back into a clean engine.
    DockerClient docker = DockerEngine.client();
    removeImage(docker, image + ":v1");
    removeImage(docker, image + ":latest");
    assertThat(imageExists(docker, done.imageId())).isFalse();
    docker
        .pullImageCmd(image + "@" + done.digest())
        .withAuthConfig(registry.authConfig())
        .exec(new PullImageResultCallback())
        .awaitCompletion(60, TimeUnit.SECONDS);
    imageRefs.add(done.imageId());
    var pulled = docker.inspectImageCmd(image + "@" + done.digest()).exec();
    assertThat(pulled.getId()).isEqualTo(done.imageId());
    assertThat(pulled.getConfig().getLabels())
        .containsEntry("version", "1.2.3")
        .containsEntry(Labels.BUILD, request.buildId());
  }

  @Test
  @DisplayName(
      "a commit SHA builds exactly that commit (fetched alone, shallow) and a tag builds its"
          + " commit; the default tag is <short sha>-<UTC time>")
  void commitShaAndTag() throws Exception {
    GitServer.Repo repo = git.createRepo("sha-" + suffix());
    repo.write("Dockerfile", "FROM scratch\nLABEL rev=one\nCOPY Dockerfile /\n");
    String first = repo.commit("one");
    repo.write("Dockerfile", "FROM scratch\nLABEL rev=two\nCOPY Dockerfile /\n");
    String second = repo.commit("two");
    repo.tag("v2").write("Dockerfile", "FROM scratch\nLABEL rev=three\nCOPY Dockerfile /\n");
    repo.commit("three");
    String image = "slipway-test/sha-" + suffix();
    BuildRequested bySha = request(repo.url(), first, ".", "Dockerfile", image).build();
    BuildRequested byTag =
        request(repo.url(), "v2", ".", "Dockerfile", image).withTags(List.of("tag")).build();
    imageRefs.add(image + ":tag");
    String before =
        java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
            .withZone(java.time.ZoneOffset.UTC)
            .format(Instant.now().minusSeconds(1));

    submit(bySha);
    submit(byTag);
    BuildSucceeded shaDone = awaitTerminal(bySha.buildId(), BuildSucceeded.class);
    BuildSucceeded tagDone = awaitTerminal(byTag.buildId(), BuildSucceeded.class);

    assertThat(shaDone.commitSha()).isEqualTo(first);
    assertThat(shaDone.digest()).isNull();
    assertThat(reader.texts(bySha.buildId()))
        .contains("fetching commit " + first + " (depth 1)")
        .noneMatch(t -> t.contains("fetching all branches"));
    String tag = shaDone.tags().getFirst();
    imageRefs.add(image + ":" + tag);
    assertThat(shaDone.tags())
        .singleElement()
        .asString()
        .matches(first.substring(0, 7) + "-\\d{14}");
    assertThat(tag.substring(8)).isGreaterThanOrEqualTo(before);
    assertThat(label(image + ":" + tag, "rev")).isEqualTo("one");
    assertThat(reader.events(bySha.buildId()))
        .noneMatch(e -> e instanceof BuildPhaseChanged p && p.phase() == BuildPhase.PUSH);

    assertThat(tagDone.commitSha()).isEqualTo(second);
    assertThat(label(image + ":tag", "rev")).isEqualTo("two");
  }

  @Test
  @DisplayName(
      "a cancel stops a running build within 2 s and leaves no build container behind; a queued"
          + " build is cancelled without starting")
  void cancel() throws Exception {
    BuildRequested first = sleepingBuild(null);
    BuildRequested second = sleepingBuild(null);
    BuildRequested queued = sleepingBuild(null);
    submit(first);
    submit(second);
    for (BuildRequested r : List.of(first, second)) {
      await("the long step runs")
          .atMost(DEADLINE)
          .until(() -> reader.texts(r.buildId()).contains("step-started"));
    }
    submit(queued);
    await("the third build waits for a slot")
        .atMost(DEADLINE)
        .until(
            () -> reader.events(queued.buildId()).stream().anyMatch(BuildQueued.class::isInstance));

    cancel(queued, null);
    BuildCancelled notStarted = awaitTerminal(queued.buildId(), BuildCancelled.class);
    assertThat(notStarted.phase()).isNull();
    assertThat(reader.events(queued.buildId())).noneMatch(BuildStarted.class::isInstance);

    long asked = System.nanoTime();
    cancel(first, "changed my mind");
    BuildCancelled cancelled = awaitTerminal(first.buildId(), BuildCancelled.class);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
    cancel(second, null);

    assertThat(tookMs).isLessThan(2_000);
    assertThat(cancelled.phase()).isEqualTo(BuildPhase.BUILD);
    List<String> texts = reader.texts(first.buildId());
    assertThat(texts).contains("cancel requested: changed my mind");
    assertThat(texts.getLast()).isEqualTo("build cancelled");
    assertThat(cancelled.logLines()).isEqualTo(texts.size());
    awaitTerminal(second.buildId(), BuildCancelled.class);
    awaitNoContainersFrom(baseImage);
  }

  @Test
  @DisplayName("a build past its timeout fails with reason timeout and is stopped")
  void timeout() throws Exception {
    BuildRequested request = sleepingBuild(3);
    submit(request);
    BuildFailed failed = awaitTerminal(request.buildId(), BuildFailed.class);

    assertThat(failed.reason()).isEqualTo(BuildFailureReason.TIMEOUT);
    assertThat(failed.phase()).isEqualTo(BuildPhase.BUILD);
    assertThat(failed.message()).contains("limit of 3 s");
    assertThat(reader.texts(request.buildId()).getLast()).startsWith("build failed: ");
    awaitNoContainersFrom(baseImage);
  }

  @Test
  @DisplayName("a command delivered twice, or again after its verdict, builds once")
  void duplicate() throws Exception {
    GitServer.Repo repo = git.createRepo("dup-" + suffix());
    repo.write("Dockerfile", "FROM scratch\nCOPY Dockerfile /\n").commit("one");
    String image = "slipway-test/dup-" + suffix();
    BuildRequested request =
        request(repo.url(), null, ".", "Dockerfile", image).withTags(List.of("t")).build();
    imageRefs.add(image + ":t");

    submit(request);
    submit(request);
    awaitTerminal(request.buildId(), BuildSucceeded.class);
    submit(request);
    awaitCommandsCommitted();

    List<BuildEvent> events = reader.events(request.buildId());
    assertThat(events.stream().filter(BuildQueued.class::isInstance)).hasSize(1);
    assertThat(events.stream().filter(BuildStarted.class::isInstance)).hasSize(1);
    assertThat(events.stream().filter(BuildEvent::terminal)).hasSize(1);
    assertThat(reader.texts(request.buildId()).stream().filter(t -> t.startsWith("Step 1/")))
        .hasSize(1);
  }

  @Test
  @DisplayName(
      "clone problems fail with a reason and a message a person can act on: bad ref, refused"
          + " credentials, unreachable host, disallowed URL")
  void cloneFailures() throws Exception {
    GitServer.Repo repo = git.createRepo("refs-" + suffix());
    repo.write("Dockerfile", "FROM scratch\n").commit("one");
    BuildRequested badRef = request(repo.url(), "nope", ".", "Dockerfile", "x/y").build();
    submit(badRef);
    BuildFailed refFailure = awaitTerminal(badRef.buildId(), BuildFailed.class);
    assertThat(refFailure.reason()).isEqualTo(BuildFailureReason.REF_NOT_FOUND);
    assertThat(refFailure.phase()).isEqualTo(BuildPhase.CLONE);
    assertThat(refFailure.message())
        .startsWith("ref 'nope' not found in " + repo.url() + ": check the branch, tag or commit");

    String unknownSha = "0123456789abcdef0123456789abcdef01234567";
    BuildRequested badSha = request(repo.url(), unknownSha, ".", "Dockerfile", "x/y").build();
    submit(badSha);
    BuildFailed shaFailure = awaitTerminal(badSha.buildId(), BuildFailed.class);
    assertThat(shaFailure.reason()).isEqualTo(BuildFailureReason.REF_NOT_FOUND);
    assertThat(shaFailure.message())
        .startsWith("commit " + unknownSha + " not found in " + repo.url() + ": check the commit");
    // The server refused the commit alone; the builder fell back to fetching everything.
    assertThat(reader.texts(badSha.buildId()))
        .anyMatch(t -> t.endsWith("; fetching all branches and tags"));

    try (GitServer locked = GitServer.start("git-user", "right-token")) {
      GitServer.Repo secret = locked.createRepo("locked");
      secret.write("Dockerfile", "FROM scratch\nCOPY Dockerfile /\n").commit("one");
      String wrongToken = "wrong-token-" + UUID.randomUUID();
      credentials.put("git-wrong", new RegistryAuth("127.0.0.1", "git-user", wrongToken));
      BuildRequested refused =
          request(secret.url(), null, ".", "Dockerfile", "x/y")
              .withGitCredential("git-wrong")
              .build();
      BuildRequested anonymous = request(secret.url(), null, ".", "Dockerfile", "x/y").build();
      submit(refused);
      submit(anonymous);
      for (BuildRequested r : List.of(refused, anonymous)) {
        BuildFailed failed = awaitTerminal(r.buildId(), BuildFailed.class);
        assertThat(failed.reason()).isEqualTo(BuildFailureReason.AUTH_FAILED);
        assertThat(failed.message()).contains(secret.url()).contains("check git_credential");
      }
      assertThat(reader.texts(refused.buildId())).noneMatch(t -> t.contains(wrongToken));

      credentials.put("git-right", new RegistryAuth("127.0.0.1", "git-user", "right-token"));
      BuildRequested allowed =
          request(secret.url(), null, ".", "Dockerfile", "slipway-test/locked-" + suffix())
              .withTags(List.of("t"))
              .withGitCredential("git-right")
              .build();
      imageRefs.add(allowed.image() + ":t");
      submit(allowed);
      assertThat(awaitTerminal(allowed.buildId(), BuildSucceeded.class).commitSha())
          .isEqualTo(secret.head());
    }

    int closedPort = closedPort();
    BuildRequested unreachable =
        request("http://127.0.0.1:" + closedPort + "/gone.git", null, ".", "Dockerfile", "x/y")
            .build();
    BuildRequested fileUrl = request("file:///etc", null, ".", "Dockerfile", "x/y").build();
    BuildRequested ext = request("ext::git-upload-pack", null, ".", "Dockerfile", "x/y").build();
    submit(unreachable);
    submit(fileUrl);
    submit(ext);
    BuildFailed down = awaitTerminal(unreachable.buildId(), BuildFailed.class);
    assertThat(down.reason()).isEqualTo(BuildFailureReason.CLONE_FAILED);
    assertThat(down.message())
        .startsWith(
            "cannot connect to http://127.0.0.1:" + closedPort + "/gone.git: check the URL");
    // Refused by the API's own rules before any network: the request itself is invalid.
    BuildFailed file = awaitTerminal(fileUrl.buildId(), BuildFailed.class);
    assertThat(file.reason()).isEqualTo(BuildFailureReason.INVALID_REQUEST);
    assertThat(file.message()).startsWith("the build request is invalid: repository:");
    BuildFailed helper = awaitTerminal(ext.buildId(), BuildFailed.class);
    assertThat(helper.reason()).isEqualTo(BuildFailureReason.INVALID_REQUEST);
    assertThat(helper.message()).contains("ext::");
  }

  @Test
  @DisplayName(
      "a symlink to a host file is sent as a link, never as the file: its content reaches"
          + " neither the logs nor the image; context paths that escape the clone are refused")
  void symlinkEscape() throws Exception {
    String canary = "host-canary-" + UUID.randomUUID();
    Path outside = Files.createTempFile("slipway-canary", ".txt");
    try {
      Files.writeString(outside, canary + "\n");
      GitServer.Repo repo = git.createRepo("escape-" + suffix());
      repo.write("app/Dockerfile", "FROM " + baseImage + "\nCOPY secret /x\nRUN cat /x\n")
          .symlink("app/secret", outside.toString())
          .symlink("etc-link", "/etc")
          .write("Dockerfile", "FROM scratch\n");
      repo.commit("sneaky");
      String image = "slipway-test/escape-" + suffix();
      BuildRequested copy =
          request(repo.url(), null, "app", "Dockerfile", image).withTags(List.of("t")).build();
      imageRefs.add(image + ":t");
      BuildRequested contextLink =
          request(repo.url(), null, "etc-link", "Dockerfile", image).build();
      BuildRequested dotDot = request(repo.url(), null, ".", "../../etc/passwd", image).build();
      submit(copy);
      submit(contextLink);
      submit(dotDot);

      BuildEvent verdict = awaitTerminal(copy.buildId(), BuildEvent.class);
      assertThat(reader.texts(copy.buildId())).noneMatch(t -> t.contains(canary));
      if (verdict instanceof BuildSucceeded succeeded) {
        assertThat(fileInImage(succeeded.imageId(), "/x")).doesNotContain(canary);
      } else {
        assertThat(verdict).isInstanceOf(BuildFailed.class);
        assertThat(((BuildFailed) verdict).reason()).isEqualTo(BuildFailureReason.BUILD_FAILED);
      }

      BuildFailed link = awaitTerminal(contextLink.buildId(), BuildFailed.class);
      assertThat(link.reason()).isEqualTo(BuildFailureReason.INVALID_REQUEST);
      assertThat(link.message())
          .isEqualTo("context 'etc-link' leads outside the repository through a symlink");
      BuildFailed parent = awaitTerminal(dotDot.buildId(), BuildFailed.class);
      assertThat(parent.reason()).isEqualTo(BuildFailureReason.INVALID_REQUEST);
      assertThat(parent.message()).contains("dockerfile: must stay inside the repository");
    } finally {
      Files.deleteIfExists(outside);
    }
  }

  @Test
  @DisplayName("the registry password is in no Kafka record of any topic and in no service log")
  void secretsStayOut() throws Exception {
    GitServer.Repo repo = git.createRepo("secret-" + suffix());
    repo.write("Dockerfile", "FROM scratch\nCOPY Dockerfile /\n").commit("one");
    String image = registry.address() + "/team/secret-" + suffix();
    BuildRequested push =
        request(repo.url(), null, ".", "Dockerfile", image)
            .withTags(List.of("s"))
            .withPush("registry")
            .build();
    imageRefs.add(image + ":s");
    credentials.put(
        "registry-wrong",
        new RegistryAuth(registry.address(), REGISTRY_USER, canaryPassword + "x"));
    BuildRequested refused =
        request(repo.url(), null, ".", "Dockerfile", image)
            .withTags(List.of("s"))
            .withPush("registry-wrong")
            .build();
    submit(push);
    awaitTerminal(push.buildId(), BuildSucceeded.class);
    submit(refused);
    BuildFailed failed = awaitTerminal(refused.buildId(), BuildFailed.class);
    assertThat(failed.reason()).isEqualTo(BuildFailureReason.AUTH_FAILED);
    assertThat(failed.phase()).isEqualTo(BuildPhase.PUSH);

    byte[] secret = canaryPassword.getBytes(StandardCharsets.UTF_8);
    List<byte[]> everything = TopicReader.everything(topics);
    assertThat(everything).isNotEmpty();
    assertThat(everything).noneMatch(bytes -> contains(bytes, secret));
    assertThat(serviceLogs.list)
        .noneMatch(e -> e.getFormattedMessage().contains(canaryPassword))
        .noneMatch(
            e ->
                e.getThrowableProxy() != null
                    && String.valueOf(e.getThrowableProxy().getMessage()).contains(canaryPassword));
  }

  // ---- helpers ----

  private BuildRequested sleepingBuild(Integer timeoutSeconds) {
    GitServer.Repo repo = git.createRepo("sleep-" + suffix());
    repo.write("Dockerfile", "FROM " + baseImage + "\nRUN echo step-started && sleep 60\n")
        .commit("slow");
    String image = "slipway-test/sleep-" + suffix();
    imageRefs.add(image + ":t");
    return request(repo.url(), null, ".", "Dockerfile", image)
        .withTags(List.of("t"))
        .withTimeout(timeoutSeconds)
        .build();
  }

  private RequestBuilder request(
      String url, String ref, String context, String dockerfile, String image) {
    String id = "b-" + UUID.randomUUID();
    buildIds.add(id);
    return new RequestBuilder(id, url, ref, context, dockerfile, image);
  }

  private static void cancel(BuildRequested request, String reason) throws Exception {
    gateway
        .publish(
            topics.buildCommands(),
            request.buildId(),
            new BuildCancelRequested(request.buildId(), reason, Instant.now()))
        .await(10, TimeUnit.SECONDS);
  }

  private static void submit(BuildRequested request) throws Exception {
    gateway.publish(topics.buildCommands(), request.buildId(), request).await(10, TimeUnit.SECONDS);
  }

  private static <T extends BuildEvent> T awaitTerminal(String buildId, Class<T> type) {
    BuildEvent verdict =
        await("verdict of " + buildId)
            .atMost(DEADLINE)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> reader.terminal(buildId), e -> e != null);
    assertThat(verdict)
        .as("verdict of %s; log: %s", buildId, reader.texts(buildId))
        .isInstanceOf(type);
    reader.awaitLastLine(buildId, verdict, DEADLINE);
    return type.cast(verdict);
  }

  private static void awaitCommandsCommitted() throws Exception {
    long end;
    try (var admin =
        org.apache.kafka.clients.admin.Admin.create(
            dev.slipway.infra.kafka.KafkaClients.admin(KafkaBroker.bootstrapServers()))) {
      TopicPartition tp = new TopicPartition(topics.buildCommands().name(), 0);
      end =
          admin
              .listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()))
              .partitionResult(tp)
              .get(10, TimeUnit.SECONDS)
              .offset();
    }
    TopicPartition tp = new TopicPartition(topics.buildCommands().name(), 0);
    await("every command handled and committed")
        .atMost(DEADLINE)
        .until(
            () -> {
              Map<TopicPartition, OffsetAndMetadata> committed =
                  KafkaBroker.committed(BuildCommandVerticle.GROUP);
              OffsetAndMetadata offset = committed.get(tp);
              return offset != null && offset.offset() >= end;
            });
  }

  private static void awaitNoContainersFrom(String image) {
    DockerClient docker = DockerEngine.client();
    String id = docker.inspectImageCmd(image).exec().getId();
    await("build containers removed")
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                docker
                    .listContainersCmd()
                    .withShowAll(true)
                    .withAncestorFilter(List.of(id))
                    .exec()
                    .isEmpty());
  }

  private static String fileInImage(String imageId, String path) throws Exception {
    DockerClient docker = DockerEngine.client();
    String container = docker.createContainerCmd(imageId).withCmd("true").exec().getId();
    try (var tar = docker.copyArchiveFromContainerCmd(container, path).exec()) {
      return new String(tar.readAllBytes(), StandardCharsets.UTF_8);
    } catch (NotFoundException e) {
      return "";
    } finally {
      docker.removeContainerCmd(container).withForce(true).exec();
    }
  }

  private static String label(String image, String name) {
    return DockerEngine.client().inspectImageCmd(image).exec().getConfig().getLabels().get(name);
  }

  private static boolean imageExists(DockerClient docker, String ref) {
    try {
      docker.inspectImageCmd(ref).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  private static void removeImage(DockerClient docker, String ref) {
    try {
      docker.removeImageCmd(ref).withForce(true).exec();
    } catch (NotFoundException alreadyGone) {
      // fine
    }
  }

  /** What builds left: anything in the work dir but the builder's own directory and its lock. */
  private static List<Path> listWorkDir() throws IOException {
    try (var files = Files.walk(workDir, 2)) {
      return files
          .filter(p -> !p.equals(workDir))
          .filter(
              p ->
                  p.getNameCount() - workDir.getNameCount() == 2
                      || !p.getFileName().toString().startsWith(WorkDirs.PREFIX))
          .collect(Collectors.toList());
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static String suffix() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** A build request as the gateway would publish it. */
  static final class RequestBuilder {
    private final String id;
    private final String url;
    private final String ref;
    private final String context;
    private final String dockerfile;
    private final String image;
    private Map<String, String> args = Map.of();
    private List<String> tags = List.of();
    private boolean push;
    private String registryCredential;
    private String gitCredential;
    private Integer timeout;

    RequestBuilder(
        String id, String url, String ref, String context, String dockerfile, String image) {
      this.id = id;
      this.url = url;
      this.ref = ref;
      this.context = context;
      this.dockerfile = dockerfile;
      this.image = image;
    }

    RequestBuilder withArgs(Map<String, String> value) {
      args = value;
      return this;
    }

    RequestBuilder withTags(List<String> value) {
      tags = value;
      return this;
    }

    RequestBuilder withPush(String credential) {
      push = true;
      registryCredential = credential;
      return this;
    }

    RequestBuilder withGitCredential(String credential) {
      gitCredential = credential;
      return this;
    }

    RequestBuilder withTimeout(Integer seconds) {
      timeout = seconds;
      return this;
    }

    BuildRequested build() {
      return new BuildRequested(
          id,
          url,
          ref,
          context,
          dockerfile,
          args,
          image,
          tags,
          push,
          registryCredential,
          gitCredential,
          Map.of(),
          timeout,
          null,
          null,
          Instant.now());
    }
  }
}
