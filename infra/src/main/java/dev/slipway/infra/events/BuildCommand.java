package dev.slipway.infra.events;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command on {@code slipway.build.commands}, keyed by build id; published by the gateway,
 * consumed by the builder.
 */
public sealed interface BuildCommand extends SlipwayEvent {

  /** The build this command is about; handlers are idempotent on it. */
  String buildId();

  /** The Kafka record key: the build id. */
  @Override
  default String key() {
    return buildId();
  }

  /**
   * Build an image from a git repository; published by the gateway on {@code POST /api/v1/builds}.
   *
   * @param buildId the build's id, see {@link Names#ID_REGEX}
   * @param repository the git repository URL
   * @param ref branch, tag or commit; {@code null} for the remote's default branch
   * @param context the build context directory, relative to the repository root
   * @param dockerfile the Dockerfile path, relative to {@code context}
   * @param buildArgs {@code --build-arg} values
   * @param image the image name the result is tagged with, e.g. {@code registry.local/app}
   * @param tags the tags given to the image; empty means {@code latest}
   * @param push whether to push the tags to the image's registry
   * @param registryCredential the name of a stored registry credential to push (and pull base
   *     images) with, or {@code null}; never a secret
   * @param gitCredential the name of a stored credential for an HTTPS clone, or {@code null}
   * @param labels image labels
   * @param timeoutSeconds the build's time limit; {@code null} for the builder's default
   * @param deploy a deploy to request once the build succeeds, or {@code null}
   * @param idempotencyKey the client's {@code Idempotency-Key}, or {@code null}
   * @param requestedAt when the gateway accepted the request
   */
  @EventType(EventTypes.BUILD_REQUESTED)
  record BuildRequested(
      String buildId,
      String repository,
      String ref,
      String context,
      String dockerfile,
      Map<String, String> buildArgs,
      String image,
      List<String> tags,
      boolean push,
      String registryCredential,
      String gitCredential,
      Map<String, String> labels,
      Integer timeoutSeconds,
      DeploySpec deploy,
      String idempotencyKey,
      Instant requestedAt)
      implements BuildCommand {

    public BuildRequested {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(repository, "repository");
      Objects.requireNonNull(context, "context");
      Objects.requireNonNull(dockerfile, "dockerfile");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(requestedAt, "requestedAt");
      buildArgs = buildArgs == null ? Map.of() : Map.copyOf(buildArgs);
      tags = tags == null ? List.of() : List.copyOf(tags);
      labels = labels == null ? Map.of() : Map.copyOf(labels);
      if (timeoutSeconds != null && timeoutSeconds < 1) {
        throw new IllegalArgumentException("timeoutSeconds must be positive: " + timeoutSeconds);
      }
    }
  }

  /**
   * Stop a queued or running build; published by the gateway on {@code POST
   * /api/v1/builds/{id}/cancel}.
   *
   * @param reason why, for the build's history; {@code null} when none was given
   */
  @EventType(EventTypes.BUILD_CANCEL_REQUESTED)
  record BuildCancelRequested(String buildId, String reason, Instant requestedAt)
      implements BuildCommand {

    public BuildCancelRequested {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(requestedAt, "requestedAt");
    }
  }
}
