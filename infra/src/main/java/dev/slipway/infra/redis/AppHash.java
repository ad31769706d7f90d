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

  /** The value of a boolean field that is on. */
  public static final String TRUE = "true";

  /** The value of a boolean field that is off. */
  public static final String FALSE = "false";

  private AppHash() {}
}
