package dev.slipway.infra.redis;

/**
 * Field names of one deployment's hash {@link RedisKeys#deployment(String)}, written by the
 * deployer: what a deploy, rollback, removal or self-heal is doing and how it ended. The deployer
 * is idempotent on the deployment id through it: a command whose deployment has ended is not run
 * again.
 */
public final class DeploymentHash {

  /** The app. */
  public static final String APP = "app";

  /** What the deployment does: {@value #KIND_DEPLOY}, {@value #KIND_ROLLBACK}, ... */
  public static final String KIND = "kind";

  /** A deploy of a new revision. */
  public static final String KIND_DEPLOY = "deploy";

  /** A rollback to an earlier revision. */
  public static final String KIND_ROLLBACK = "rollback";

  /** The removal of the app. */
  public static final String KIND_REMOVE = "remove";

  /** A repair asked for by the reconciler (self-heal) or done at start. */
  public static final String KIND_RECONCILE = "reconcile";

  /** {@code blue-green} or {@code recreate}. */
  public static final String STRATEGY = "strategy";

  /** One of the {@code STATUS_*} values. */
  public static final String STATUS = "status";

  public static final String STATUS_RUNNING = "running";
  public static final String STATUS_SUCCEEDED = "succeeded";
  public static final String STATUS_FAILED = "failed";

  /** A newer deployment of the app replaced this one before it started. */
  public static final String STATUS_SUPERSEDED = "superseded";

  /** The deployment went live, then its revision failed health and the previous came back. */
  public static final String STATUS_ROLLED_BACK = "rolled_back";

  public static final String STATUS_REMOVED = "removed";

  /** The phase it is in, or failed in (a {@code DeployPhase} wire value). */
  public static final String PHASE = "phase";

  /** The failure reason code, e.g. {@code health_timeout}. */
  public static final String REASON = "reason";

  /** What went wrong and what to do, for a person. */
  public static final String MESSAGE = "message";

  /** The revision it puts live. */
  public static final String REVISION = "revision";

  /** The blue-green slot of its container. */
  public static final String COLOR = "color";

  /** Its container id. */
  public static final String CONTAINER = "container";

  /** {@code 127.0.0.1:<port>} of its container. */
  public static final String UPSTREAM = "upstream";

  /** The build that produced the image, when it came from one. */
  public static final String BUILD_ID = "build_id";

  /** The deployment that superseded this one. */
  public static final String SUPERSEDED_BY = "superseded_by";

  /**
   * {@code true} once the event that makes the revision live (succeeded or rolled back) is on
   * Kafka.
   */
  public static final String ANNOUNCED = "announced";

  /** ISO-8601 times. */
  public static final String STARTED_AT = "started_at";

  public static final String FINISHED_AT = "finished_at";

  /** How long the hash stays after the deployment ends, in seconds: a week. */
  public static final long RETENTION_SECONDS = 7 * 24 * 3600;

  private DeploymentHash() {}
}
