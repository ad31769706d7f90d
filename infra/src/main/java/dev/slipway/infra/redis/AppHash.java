package dev.slipway.infra.redis;

/**
 * Field names of an app's desired-state hash {@link RedisKeys#app(String)} (app names in the set
 * {@link RedisKeys#apps()}), written by the deployer. The reconciler reads these fields to detect
 * drift between what should run and what runs.
 */
public final class AppHash {

  /** The image reference the app should run. */
  public static final String IMAGE = "image";

  /** The id of the container that serves the app; empty or absent when none should run. */
  public static final String LIVE_CONTAINER = "live_container";

  /** The blue-green slot of the live container: blue or green. */
  public static final String LIVE_COLOR = "live_color";

  /**
   * {@value #TRUE} when the reconciler should ask the deployer to repair drift (a {@code
   * dev.slipway.deploy.reconcile_requested} command); anything else means report only.
   */
  public static final String SELF_HEAL = "self_heal";

  /**
   * {@value #TRUE} while a deploy of the app runs; the reconciler reports no drift for the app
   * meanwhile, since containers come and go on purpose.
   */
  public static final String DEPLOY_IN_FLIGHT = "deploy_in_flight";

  /**
   * The live {@link dev.slipway.infra.events.DeploySpec} as JSON (snake_case, as in events). It
   * carries the app's environment values: never log it.
   */
  public static final String SPEC = "spec";

  /** The revision number that serves the app, from 1 up. */
  public static final String LIVE_REVISION = "live_revision";

  /** The deployment (or rollback) id that put the live revision in place. */
  public static final String LIVE_DEPLOYMENT = "live_deployment";

  /**
   * Where the live container answers, {@code 127.0.0.1:<published port>}; empty when the app serves
   * no port. The same value as the app's entry in {@link RedisKeys#routes()}.
   */
  public static final String UPSTREAM = "upstream";

  /** The live container's health as the deployer last probed it: {@value #HEALTHY} or not. */
  public static final String HEALTH = "health";

  /** The value of {@link #HEALTH} when the last probe passed. */
  public static final String HEALTHY = "healthy";

  /** The value of {@link #HEALTH} when the last probes failed. */
  public static final String UNHEALTHY = "unhealthy";

  /** When the deployer last changed the live revision or container, ISO-8601. */
  public static final String UPDATED_AT = "updated_at";

  /** When the app's first revision went live, ISO-8601. */
  public static final String CREATED_AT = "created_at";

  /**
   * The highest revision number ever recorded for the app; the next deploy gets this plus one,
   * while a rollback puts an older number back live.
   */
  public static final String LAST_REVISION = "last_revision";

  /**
   * The id of the deployment in flight while {@link #DEPLOY_IN_FLIGHT} is {@value #TRUE}; a
   * deployer that starts and finds it set reports that deployment failed or completes it.
   */
  public static final String DEPLOYING = "deploying";

  /** The value of a boolean field that is on. */
  public static final String TRUE = "true";

  /** The value of a boolean field that is off. */
  public static final String FALSE = "false";

  private AppHash() {}
}
