package dev.slipway.infra.events;

import com.fasterxml.jackson.annotation.JsonValue;

/** Why a build failed, as a stable code clients can branch on; set by the builder. */
public enum BuildFailureReason {
  /** The build ran longer than its timeout. */
  TIMEOUT,
  /** The repository could not be cloned (unreachable, not a git repository, disallowed URL). */
  CLONE_FAILED,
  /** The requested branch, tag or commit does not exist in the repository. */
  REF_NOT_FOUND,
  /** The git server or the registry refused the credentials. */
  AUTH_FAILED,
  /** The request was accepted but cannot be built as given (bad path, missing Dockerfile). */
  INVALID_REQUEST,
  /** {@code docker build} failed: a step of the Dockerfile returned non-zero. */
  BUILD_FAILED,
  /** The image was built but the push to the registry failed. */
  PUSH_FAILED,
  /** The builder instance running the build stopped answering. */
  BUILDER_LOST,
  /** A bug or an unexpected condition in Slipway itself. */
  INTERNAL_ERROR;

  /** The JSON value: the lowercase constant name. */
  @JsonValue
  public String wire() {
    return WireNames.of(this);
  }

  /** The constant for a JSON value. */
  public static BuildFailureReason of(String wire) {
    return WireNames.parse(values(), BuildFailureReason::wire, "build failure reason", wire);
  }
}
