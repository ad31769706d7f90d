package dev.slipway.infra.events;

/**
 * Every CloudEvents {@code type} Slipway emits, as constants: services compare and route on these,
 * never on literals. Each is the {@link EventType} of exactly one record.
 */
public final class EventTypes {

  // slipway.build.commands
  public static final String BUILD_REQUESTED = "dev.slipway.build.requested";
  public static final String BUILD_CANCEL_REQUESTED = "dev.slipway.build.cancel_requested";

  // slipway.build.events
  public static final String BUILD_QUEUED = "dev.slipway.build.queued";
  public static final String BUILD_STARTED = "dev.slipway.build.started";
  public static final String BUILD_PHASE_CHANGED = "dev.slipway.build.phase_changed";
  public static final String BUILD_SUCCEEDED = "dev.slipway.build.succeeded";
  public static final String BUILD_FAILED = "dev.slipway.build.failed";
  public static final String BUILD_CANCELLED = "dev.slipway.build.cancelled";

  // slipway.build.logs
  public static final String BUILD_LOG_BATCH = "dev.slipway.build.log_batch";

  // slipway.deploy.commands
  public static final String DEPLOY_REQUESTED = "dev.slipway.deploy.requested";
  public static final String DEPLOY_ROLLBACK_REQUESTED = "dev.slipway.deploy.rollback_requested";
  public static final String DEPLOY_REMOVE_REQUESTED = "dev.slipway.deploy.remove_requested";
  public static final String DEPLOY_RECONCILE_REQUESTED = "dev.slipway.deploy.reconcile_requested";

  // slipway.deploy.events
  public static final String DEPLOY_STARTED = "dev.slipway.deploy.started";
  public static final String DEPLOY_PHASE_CHANGED = "dev.slipway.deploy.phase_changed";
  public static final String DEPLOY_SUCCEEDED = "dev.slipway.deploy.succeeded";
  public static final String DEPLOY_FAILED = "dev.slipway.deploy.failed";
  public static final String DEPLOY_ROLLED_BACK = "dev.slipway.deploy.rolled_back";
  public static final String DEPLOY_REMOVED = "dev.slipway.deploy.removed";

  // slipway.container.events
  public static final String CONTAINER_STATE_CHANGED = "dev.slipway.container.state_changed";
  public static final String CONTAINER_HEALTH_CHANGED = "dev.slipway.container.health_changed";
  public static final String CONTAINER_MISSING = "dev.slipway.container.missing";
  public static final String CONTAINER_DRIFT = "dev.slipway.container.drift";

  // slipway.registry.credentials
  public static final String REGISTRY_CREDENTIAL_STORED = "dev.slipway.registry.credential_stored";

  private EventTypes() {}
}
