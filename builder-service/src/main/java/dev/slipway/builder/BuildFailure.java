package dev.slipway.builder;

import dev.slipway.infra.events.BuildFailureReason;
import java.util.Objects;

/**
 * Why a build cannot go on, as the user will read it: a stable reason code and a message that says
 * what to do. Messages never carry secrets.
 */
final class BuildFailure extends RuntimeException {

  private final BuildFailureReason reason;

  BuildFailure(BuildFailureReason reason, String message) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  BuildFailure(BuildFailureReason reason, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  BuildFailureReason reason() {
    return reason;
  }
}
