package dev.slipway.infra.events;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What happened to a build, on {@code slipway.build.events}, keyed by build id; published by the
 * builder, consumed by the reconciler (build projection) and the deployer (auto-deploy).
 */
public sealed interface BuildEvent extends SlipwayEvent {

  /** The build this event is about. */
  String buildId();

  /** When it happened. */
  Instant at();

  /** The Kafka record key: the build id. */
  @Override
  default String key() {
    return buildId();
  }

  /** Whether the build is over: succeeded, failed or cancelled. */
  default boolean terminal() {
    return this instanceof BuildSucceeded
        || this instanceof BuildFailed
        || this instanceof BuildCancelled;
  }

  /**
   * A build request was accepted and waits for a builder; emitted by the builder that took the
   * command off the topic.
   *
   * @param ref the requested ref, {@code null} for the default branch
   */
  @EventType(EventTypes.BUILD_QUEUED)
  record BuildQueued(
      String buildId, String repository, String ref, String image, List<String> tags, Instant at)
      implements BuildEvent {

    public BuildQueued {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(repository, "repository");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(at, "at");
      tags = tags == null ? List.of() : List.copyOf(tags);
    }
  }

  /**
   * A builder began running the build; emitted by that builder, again on each retry.
   *
   * @param builder the id of the builder instance running it
   * @param attempt 1 for the first run, higher when a build is retried after its builder was lost
   */
  @EventType(EventTypes.BUILD_STARTED)
  record BuildStarted(String buildId, String builder, int attempt, Instant at)
      implements BuildEvent {

    public BuildStarted {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(builder, "builder");
      Objects.requireNonNull(at, "at");
      if (attempt < 1) {
        throw new IllegalArgumentException("attempt starts at 1, not " + attempt);
      }
    }
  }

  /** The build entered a phase (clone, build, push); emitted by the builder. */
  @EventType(EventTypes.BUILD_PHASE_CHANGED)
  record BuildPhaseChanged(String buildId, BuildPhase phase, Instant at) implements BuildEvent {

    public BuildPhaseChanged {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(phase, "phase");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * The image was built (and pushed, when asked); emitted by the builder.
   *
   * @param commitSha the commit that was built, resolved from the ref
   * @param image the image name
   * @param imageId the local image id, {@code sha256:...}
   * @param digest the registry manifest digest, {@code null} when not pushed
   * @param tags the tags the image got
   * @param deploy the deploy to run now, copied from the request, or {@code null}
   * @param startedAt when the build started
   * @param logLines how many log lines the build published (sequence numbers 1..logLines)
   */
  @EventType(EventTypes.BUILD_SUCCEEDED)
  record BuildSucceeded(
      String buildId,
      String commitSha,
      String image,
      String imageId,
      String digest,
      List<String> tags,
      DeploySpec deploy,
      Instant startedAt,
      Long logLines,
      Instant at)
      implements BuildEvent {

    public BuildSucceeded {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(commitSha, "commitSha");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(imageId, "imageId");
      Objects.requireNonNull(startedAt, "startedAt");
      Objects.requireNonNull(at, "at");
      tags = tags == null ? List.of() : List.copyOf(tags);
    }
  }

  /**
   * The build failed; emitted by the builder (or by the one that noticed its builder was lost).
   *
   * @param phase the phase it failed in, {@code null} if before the first
   * @param reason a stable code to branch on
   * @param message what went wrong and what to do about it, for a person; never a secret
   * @param logLines how many log lines the build published, {@code null} if unknown (builder lost)
   */
  @EventType(EventTypes.BUILD_FAILED)
  record BuildFailed(
      String buildId,
      BuildPhase phase,
      BuildFailureReason reason,
      String message,
      Long logLines,
      Instant at)
      implements BuildEvent {

    public BuildFailed {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * The build stopped because it was cancelled; emitted by the builder.
   *
   * @param phase the phase it was in, {@code null} if it had not started
   * @param logLines how many log lines the build published before it stopped
   */
  @EventType(EventTypes.BUILD_CANCELLED)
  record BuildCancelled(String buildId, BuildPhase phase, Long logLines, Instant at)
      implements BuildEvent {

    public BuildCancelled {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(at, "at");
    }
  }
}
