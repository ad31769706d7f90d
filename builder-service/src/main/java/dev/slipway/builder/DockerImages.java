package dev.slipway.builder;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.AuthConfigurations;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.PushResponseItem;
import com.github.dockerjava.api.model.ResponseItem;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.LogStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds, pushes and cleans up images with docker-java, streaming the engine's output line by line.
 * Blocking: call on a virtual thread bound to the build's cancel token; a cancel closes the
 * response stream, which makes the engine stop the build.
 */
final class DockerImages {

  private static final Logger log = LoggerFactory.getLogger(DockerImages.class);

  private static final Pattern RUNNING_IN = Pattern.compile("^ ---> Running in ([0-9a-f]{12,64})$");
  private static final Pattern LAYER = Pattern.compile("^ ---> ([0-9a-f]{12,64})$");
  private static final Pattern BUILT = Pattern.compile("^Successfully built ([0-9a-f]{12,64})$");
  private static final Pattern STEP =
      Pattern.compile("^Step \\d+/\\d+ : (\\S+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern PUSH_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64})");

  /** What a build left behind that a failed or cancelled build should remove. */
  static final class Leftovers {
    final List<String> containers = new CopyOnWriteArrayList<>();
    final List<String> layers = new CopyOnWriteArrayList<>();
  }

  private final DockerClient docker;

  DockerImages(DockerClient docker) {
    this.docker = docker;
  }

  /**
   * Runs the classic builder on {@code context}; returns the full image id ({@code sha256:...}).
   *
   * @param tags full references ({@code name:tag}) the image gets
   * @param pullAuth credentials for base images from a private registry, if any
   */
  String build(
      BuildContext context,
      Map<String, String> buildArgs,
      Map<String, String> labels,
      List<String> tags,
      Optional<AuthConfig> pullAuth,
      CancelToken token,
      LogSink sink,
      Leftovers leftovers) {
    token.throwIfCancelled();
    Tracker tracker = new Tracker(sink, leftovers);
    LineSplitter out = new LineSplitter(tracker, LogStream.STDOUT);
    StreamingCallback<BuildResponseItem> callback =
        new StreamingCallback<>(sink) {
          @Override
          void item(BuildResponseItem item) {
            if (item.getStream() != null) {
              out.accept(item.getStream());
            }
            status(item);
          }
        };
    try (InputStream tar = Files.newInputStream(context.tar())) {
      var command =
          docker
              .buildImageCmd()
              .withTarInputStream(tar)
              .withDockerfilePath(context.dockerfile())
              .withTags(new LinkedHashSet<>(tags))
              .withLabels(labels)
              .withPull(false)
              .withRemove(true)
              .withForcerm(true);
      buildArgs.forEach(command::withBuildArg);
      pullAuth.ifPresent(
          auth -> {
            AuthConfigurations configs = new AuthConfigurations();
            configs.addConfig(auth);
            command.withBuildAuthConfigs(configs);
          });
      AutoCloseable registration = token.onCancel(callback);
      try {
        command.exec(callback);
        callback.awaitCompletion();
      } finally {
        registration.close();
        out.finish();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancelToken.Cancelled(reasonOr(token));
    } catch (BuildFailure | CancelToken.Cancelled e) {
      throw e;
    } catch (Exception e) {
      if (token.isCancelled()) {
        throw new CancelToken.Cancelled(reasonOr(token));
      }
      throw new BuildFailure(
          BuildFailureReason.BUILD_FAILED, "docker build failed: " + engineMessage(e), e);
    }
    token.throwIfCancelled();
    if (callback.error != null) {
      throw new BuildFailure(
          BuildFailureReason.BUILD_FAILED, "docker build failed: " + callback.error);
    }
    if (callback.failure != null) {
      throw new BuildFailure(
          BuildFailureReason.BUILD_FAILED,
          "docker build failed: " + engineMessage(callback.failure),
          callback.failure);
    }
    if (tracker.built == null) {
      throw new BuildFailure(
          BuildFailureReason.BUILD_FAILED, "docker build ended without producing an image");
    }
    try {
      return docker.inspectImageCmd(tags.getFirst()).exec().getId();
    } catch (NotFoundException e) {
      throw new BuildFailure(
          BuildFailureReason.BUILD_FAILED, "the built image " + tags.getFirst() + " is missing");
    }
  }

  /**
   * Pushes every tag of {@code image}; returns the manifest digest the registry reported.
   *
   * @param auth the credential for the image's registry; an empty one pushes anonymously
   */
  String push(ImageRef image, List<String> tags, AuthConfig auth, CancelToken token, LogSink sink) {
    String digest = null;
    for (String tag : tags) {
      token.throwIfCancelled();
      sink.system("pushing " + image.withTag(tag));
      StreamingCallback<PushResponseItem> callback =
          new StreamingCallback<>(sink) {
            @Override
            void item(PushResponseItem item) {
              if (item.getAux() != null && item.getAux().getDigest() != null) {
                pushedDigest = item.getAux().getDigest();
              }
              if (item.getStatus() != null) {
                Matcher m = PUSH_DIGEST.matcher(item.getStatus());
                if (m.find() && pushedDigest == null) {
                  pushedDigest = m.group(1);
                }
              }
              status(item);
            }
          };
      try {
        AutoCloseable registration = token.onCancel(callback);
        try {
          docker.pushImageCmd(image.name()).withTag(tag).withAuthConfig(auth).exec(callback);
          callback.awaitCompletion();
        } finally {
          registration.close();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancelToken.Cancelled(reasonOr(token));
      } catch (Exception e) {
        if (token.isCancelled()) {
          throw new CancelToken.Cancelled(reasonOr(token));
        }
        throw pushFailure(image, tag, engineMessage(e), e);
      }
      token.throwIfCancelled();
      String error =
          callback.error != null
              ? callback.error
              : callback.failure != null ? engineMessage(callback.failure) : null;
      if (error != null) {
        throw pushFailure(image, tag, error, callback.failure);
      }
      if (callback.pushedDigest != null) {
        digest = callback.pushedDigest;
      }
    }
    if (digest == null) {
      digest = repoDigest(image).orElse(null);
    }
    if (digest != null) {
      sink.system("pushed " + image.name() + "@" + digest);
    }
    return digest;
  }

  /** Removes what a failed or cancelled build left; best effort, never throws. */
  void cleanup(Leftovers leftovers, String buildId) {
    for (String container : leftovers.containers) {
      try {
        docker.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec();
        log.info("removed build container buildId={} container={}", buildId, container);
      } catch (NotFoundException alreadyGone) {
        // The engine removed it itself (forcerm).
      } catch (RuntimeException e) {
        log.warn(
            "could not remove build container buildId={} container={} error={}",
            buildId,
            container,
            String.valueOf(e.getMessage()));
      }
    }
    // Newest first: a layer can only go once the layers built on it are gone.
    List<String> layers = new ArrayList<>(leftovers.layers);
    java.util.Collections.reverse(layers);
    for (String layer : layers) {
      try {
        List<String> tags = docker.inspectImageCmd(layer).exec().getRepoTags();
        if (tags != null && !tags.isEmpty()) {
          continue;
        }
        docker.removeImageCmd(layer).withForce(false).exec();
      } catch (NotFoundException alreadyGone) {
        // Fine.
      } catch (RuntimeException stillUsed) {
        // Tagged or a parent of another image now: it is not ours alone to remove.
        log.debug("kept build layer buildId={} layer={}", buildId, layer);
      }
    }
  }

  private Optional<String> repoDigest(ImageRef image) {
    try {
      List<String> digests = docker.inspectImageCmd(image.name()).exec().getRepoDigests();
      if (digests == null) {
        return Optional.empty();
      }
      return digests.stream()
          .filter(d -> d.startsWith(image.name() + "@"))
          .map(d -> d.substring(d.indexOf('@') + 1))
          .findFirst();
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static BuildFailure pushFailure(ImageRef image, String tag, String error, Throwable e) {
    String lower = error.toLowerCase(Locale.ROOT);
    if (lower.contains("unauthorized")
        || lower.contains("authentication required")
        || lower.contains("no basic auth credentials")
        || lower.contains("denied")) {
      return new BuildFailure(
          BuildFailureReason.AUTH_FAILED,
          "registry "
              + image.registry()
              + " refused the push of "
              + image.withTag(tag)
              + ": check registry_credential and that it may push to this repository ("
              + error
              + ")",
          e);
    }
    return new BuildFailure(
        BuildFailureReason.PUSH_FAILED, "pushing " + image.withTag(tag) + " failed: " + error, e);
  }

  private static CancelToken.Reason reasonOr(CancelToken token) {
    return token.reason() == null ? CancelToken.Reason.CANCELLED : token.reason();
  }

  private static String engineMessage(Throwable e) {
    if (e instanceof DockerException docker && docker.getMessage() != null) {
      return docker.getMessage().replaceAll("^Status \\d+: ", "").strip();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /**
   * Watches build output for what the engine created, so a failed or cancelled build can be cleaned
   * up: the container of each step ({@code Running in}) and each new layer.
   */
  private static final class Tracker implements LogSink {
    private final LogSink sink;
    private final Leftovers leftovers;
    private boolean cached;
    volatile String built;

    Tracker(LogSink sink, Leftovers leftovers) {
      this.sink = sink;
      this.leftovers = leftovers;
    }

    @Override
    public void line(LogStream stream, String text) {
      // Only the builder's own lines matter here ("Step …", " ---> …", "Successfully built …"):
      // a RUN step's output, most of a chatty build's lines, skips the patterns.
      if (text.startsWith(" ---> ")) {
        Matcher running = RUNNING_IN.matcher(text);
        Matcher layer = LAYER.matcher(text);
        if (text.equals(" ---> Using cache")) {
          cached = true;
        } else if (running.matches()) {
          leftovers.containers.add(running.group(1));
        } else if (layer.matches()) {
          if (!cached) {
            leftovers.layers.add(layer.group(1));
          }
          cached = false;
        }
      } else if (text.regionMatches(true, 0, "Step ", 0, 5)) {
        Matcher step = STEP.matcher(text);
        if (step.find()) {
          // A FROM step prints the base image's id: that layer is not this build's to remove.
          cached = step.group(1).equalsIgnoreCase("FROM");
        }
      } else if (text.startsWith("Successfully built ")) {
        Matcher done = BUILT.matcher(text);
        if (done.matches()) {
          built = done.group(1);
        }
      }
      sink.line(stream, text);
    }
  }

  /**
   * Forwards an engine stream to the log: status lines once per change (progress bars would flood
   * it), errors as stderr; remembers the first error.
   */
  private abstract static class StreamingCallback<T extends ResponseItem>
      extends ResultCallback.Adapter<T> {
    private final LogSink sink;
    private final Map<String, String> lastStatus = new HashMap<>();
    private final Set<String> seen = new java.util.HashSet<>();
    volatile String error;
    volatile Throwable failure;
    volatile String pushedDigest;

    StreamingCallback(LogSink sink) {
      this.sink = sink;
    }

    abstract void item(T item);

    @Override
    public void onNext(T item) {
      if (item.getErrorDetail() != null) {
        String message =
            item.getErrorDetail().getMessage() != null
                ? item.getErrorDetail().getMessage()
                : "the engine reported an error without a message";
        if (error == null) {
          error = message;
        }
        sink.line(LogStream.STDERR, message);
        return;
      }
      item(item);
    }

    void status(ResponseItem item) {
      String status = item.getStatus();
      if (status == null) {
        return;
      }
      String id = item.getId();
      if (id == null) {
        sink.line(LogStream.STDOUT, status);
        return;
      }
      synchronized (this) {
        if (status.equals(lastStatus.put(id, status)) || !seen.add(id + "\0" + status)) {
          return;
        }
      }
      sink.line(LogStream.STDOUT, id + ": " + status);
    }

    @Override
    public void onError(Throwable throwable) {
      // No stack-trace logging here: the failure becomes the build's verdict instead.
      if (failure == null) {
        failure = throwable;
      }
      try {
        close();
      } catch (IOException e) {
        // Closing a failed stream.
      }
    }
  }
}
