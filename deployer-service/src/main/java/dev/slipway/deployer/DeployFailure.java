package dev.slipway.deployer;

/**
 * Why a deployment failed before its revision went live: a stable snake_case reason code and a
 * message that says what to do, both carried in {@code dev.slipway.deploy.failed}. Never carries a
 * secret.
 */
public final class DeployFailure extends Exception {

  /** The spec cannot run: bad port, volume, image reference, ... */
  public static final String INVALID_SPEC = "invalid_spec";

  /**
   * An env value does not open: it was sealed with another {@code SLIPWAY_SECRET_KEY} than this
   * deployer's, or damaged. The message names the variable, never its value.
   */
  public static final String ENV_UNREADABLE = "env_unreadable";

  /** A rollback named a revision the history does not keep. */
  public static final String REVISION_NOT_FOUND = "revision_not_found";

  /** A rollback of an app that has no live revision, or no earlier one. */
  public static final String NOTHING_TO_ROLL_BACK = "nothing_to_roll_back";

  /** The engine could not pull the image. */
  public static final String IMAGE_PULL_FAILED = "image_pull_failed";

  /** The engine refused to create the container. */
  public static final String CREATE_FAILED = "create_failed";

  /** The engine could not start the container. */
  public static final String START_FAILED = "start_failed";

  /** The new container exited before it became healthy. */
  public static final String CONTAINER_EXITED = "container_exited";

  /** The new container did not pass its health check in time. */
  public static final String HEALTH_TIMEOUT = "health_timeout";

  /** The new revision could not be recorded as live. */
  public static final String RECORD_FAILED = "record_failed";

  /** A step did not finish within its timeout. */
  public static final String STEP_TIMEOUT = "step_timeout";

  /** A newer deployment of the app replaced this one before it started. */
  public static final String SUPERSEDED = "superseded";

  /** The deployer stopped (crash, kill, lost infrastructure) in the middle of the deployment. */
  public static final String INTERRUPTED = "interrupted";

  private final String reason;

  public DeployFailure(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public DeployFailure(String reason, String message, Throwable cause) {
    super(message, cause, false, false);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
