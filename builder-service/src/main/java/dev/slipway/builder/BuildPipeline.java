package dev.slipway.builder;

import com.github.dockerjava.api.model.AuthConfig;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.validation.BuildRequestRules;
import dev.slipway.infra.validation.Violation;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One build's blocking work, start to end: check the request, clone, pack the context, build, push.
 * Runs on one virtual thread per build; phases and lines are reported as they happen. The work
 * directory is always deleted, and what a failed build left in the engine is removed.
 */
final class BuildPipeline {

  private static final Logger log = LoggerFactory.getLogger(BuildPipeline.class);
  private static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(10);

  /** What a successful build produced. */
  record Result(String commitSha, String imageId, String digest, List<String> tags) {}

  private final BuilderConfig config;
  private final BuildRequestRules rules;
  private final GitUrlPolicy policy;
  private final GitCloner cloner;
  private final DockerImages images;
  private final RegistryAuthLookup credentials;
  private final WorkDirs workDirs;

  BuildPipeline(
      BuilderConfig config,
      BuildRequestRules rules,
      GitUrlPolicy policy,
      GitCloner cloner,
      DockerImages images,
      RegistryAuthLookup credentials,
      WorkDirs workDirs) {
    this.config = config;
    this.workDirs = workDirs;
    this.rules = rules;
    this.policy = policy;
    this.cloner = cloner;
    this.images = images;
    this.credentials = credentials;
  }

  /**
   * Runs the build. Throws {@link BuildFailure} with the reason to report, or {@link
   * CancelToken.Cancelled} when the token stopped it.
   */
  Result run(
      BuildRequested request,
      CancelToken token,
      LogSink sink,
      Redactor redactor,
      Consumer<BuildPhase> phases) {
    token.bind();
    String id = request.buildId();
    DockerImages.Leftovers leftovers = new DockerImages.Leftovers();
    Path work = null;
    boolean succeeded = false;
    try {
      // Commands can reach Kafka without the gateway: the builder applies the API's rules too.
      List<Violation> violations = rules.check(request);
      if (!violations.isEmpty()) {
        Violation first = violations.get(0);
        throw new BuildFailure(
            BuildFailureReason.INVALID_REQUEST,
            "the build request is invalid: " + first.field() + ": " + first.message());
      }
      ImageRef image = ImageRef.parse(request.image());
      request.tags().forEach(ImageRef::checkTag);
      GitUrlPolicy.Remote remote = policy.check(request.repository());
      Optional<RegistryAuth> gitAuth =
          credential(request.gitCredential(), "git_credential", redactor)
              .map(a -> belongs(a, request.gitCredential(), remote.host(), remote.port()));
      Optional<RegistryAuth> registryAuth =
          credential(request.registryCredential(), "registry_credential", redactor)
              .map(a -> belongsToRegistry(a, request.registryCredential(), image));
      work = createWorkDir(id);
      phases.accept(BuildPhase.CLONE);
      policy.checkAddresses(remote, RESOLVE_TIMEOUT);
      String ref = request.ref() == null ? "the default branch" : "'" + request.ref() + "'";
      sink.system("cloning " + remote.display() + " at " + ref);
      Instant cloneStart = Instant.now();
      String sha = cloner.cloneAt(remote, request.ref(), work.resolve("src"), gitAuth, token, sink);
      sink.system(
          "checked out "
              + sha
              + " in "
              + Duration.between(cloneStart, Instant.now()).toMillis()
              + " ms");

      BuildContext context =
          BuildContext.prepare(
              work.resolve("src"),
              request.context(),
              request.dockerfile(),
              work.resolve("context.tar"),
              token);

      phases.accept(BuildPhase.BUILD);
      List<String> tags =
          request.tags().isEmpty()
              ? List.of(ImageRef.defaultTag(sha, Instant.now()))
              : request.tags();
      List<String> references = tags.stream().map(image::withTag).toList();
      Map<String, String> labels = new LinkedHashMap<>(request.labels());
      labels.put(Labels.BUILD, id);
      sink.system(
          "building "
              + String.join(", ", references)
              + " from "
              + request.dockerfile()
              + " (context "
              + request.context()
              + ")");
      Optional<AuthConfig> pullAuth = registryAuth.map(a -> authConfig(a, image));
      String imageId =
          images.build(
              context, request.buildArgs(), labels, references, pullAuth, token, sink, leftovers);
      sink.system("built " + imageId);

      String digest = null;
      if (request.push()) {
        phases.accept(BuildPhase.PUSH);
        AuthConfig auth =
            registryAuth
                .map(a -> authConfig(a, image))
                .orElseGet(() -> new AuthConfig().withRegistryAddress(image.registry()));
        digest = images.push(image, tags, auth, token, sink);
      }
      succeeded = true;
      return new Result(sha, imageId, digest, tags);
    } finally {
      // A cancel may have interrupted this thread; cleanup must not be cut short by it.
      token.unbind();
      if (work != null) {
        deleteTree(work);
      }
      if (!succeeded) {
        images.cleanup(leftovers, id);
      }
    }
  }

  private Optional<RegistryAuth> credential(String name, String field, Redactor redactor) {
    if (name == null || name.isBlank()) {
      return Optional.empty();
    }
    RegistryAuth auth =
        credentials
            .find(name)
            .orElseThrow(
                () ->
                    new BuildFailure(
                        BuildFailureReason.INVALID_REQUEST,
                        field
                            + " '"
                            + name
                            + "' does not exist: store the credential first or fix the name"));
    redactor.add(auth.secret());
    return Optional.of(auth);
  }

  private static RegistryAuth belongs(RegistryAuth auth, String name, String host, int port) {
    if (!auth.belongsTo(host, port)) {
      throw new BuildFailure(
          BuildFailureReason.INVALID_REQUEST,
          "git_credential '"
              + name
              + "' is for "
              + auth.hostAndPort()
              + ", not for "
              + host
              + (port > 0 ? ":" + port : "")
              + ": a credential is only sent to its own host");
    }
    return auth;
  }

  private static RegistryAuth belongsToRegistry(RegistryAuth auth, String name, ImageRef image) {
    String registry = image.registry();
    int colon = registry.lastIndexOf(':');
    boolean hasPort = colon > 0 && !registry.endsWith("]");
    String host = hasPort ? registry.substring(0, colon) : registry;
    int port = hasPort ? Integer.parseInt(registry.substring(colon + 1)) : -1;
    if (!auth.belongsTo(host.replace("[", "").replace("]", ""), port)) {
      throw new BuildFailure(
          BuildFailureReason.INVALID_REQUEST,
          "registry_credential '"
              + name
              + "' is for "
              + auth.hostAndPort()
              + ", not for the image's registry "
              + registry);
    }
    return auth;
  }

  private static AuthConfig authConfig(RegistryAuth auth, ImageRef image) {
    return new AuthConfig()
        .withRegistryAddress(image.registry())
        .withUsername(auth.username())
        .withPassword(auth.secret());
  }

  private Path createWorkDir(String buildId) {
    try {
      return workDirs.newBuildDir(buildId);
    } catch (IOException e) {
      throw new BuildFailure(
          BuildFailureReason.INTERNAL_ERROR,
          "cannot create a work directory under " + workDirs.dir() + ": " + e.getMessage(),
          e);
    }
  }

  /** Deletes without following symlinks: a link to /etc is removed, never what it points to. */
  static void deleteTree(Path root) {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      log.warn("could not delete work directory dir={} error={}", root, e.toString());
    }
  }
}
