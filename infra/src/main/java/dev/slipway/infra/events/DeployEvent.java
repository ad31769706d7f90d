package dev.slipway.infra.events;

import java.time.Instant;
import java.util.Objects;

/**
 * What happened to a deployment, on {@code slipway.deploy.events}, keyed by app name; published by
 * the deployer, consumed by the reconciler (change feed) and anyone rebuilding app state.
 */
public sealed interface DeployEvent extends SlipwayEvent {

  /** The deployment this event is about. */
  String deploymentId();

  /** The app it deploys. */
  String app();

  /** When it happened. */
  Instant at();

  /** The Kafka record key: the app name. */
  @Override
  default String key() {
    return app();
  }

  /** Whether the deployment is over: succeeded, failed, rolled back or removed. */
  default boolean terminal() {
    return !(this instanceof DeployStarted || this instanceof DeployPhaseChanged);
  }

  /** The deployer began a deployment with this strategy; emitted by the deployer. */
  @EventType(EventTypes.DEPLOY_STARTED)
  record DeployStarted(String deploymentId, String app, DeploySpec.Strategy strategy, Instant at)
      implements DeployEvent {

    public DeployStarted {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(strategy, "strategy");
      Objects.requireNonNull(at, "at");
    }
  }

  /** The deployment entered a phase; emitted by the deployer. */
  @EventType(EventTypes.DEPLOY_PHASE_CHANGED)
  record DeployPhaseChanged(String deploymentId, String app, DeployPhase phase, Instant at)
      implements DeployEvent {

    public DeployPhaseChanged {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(phase, "phase");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * The new revision is live and the route points at it; emitted by the deployer. Carries the whole
   * spec, so the app projection can be rebuilt from this topic alone.
   *
   * @param revision the app's revision number now live, from 1 up
   * @param color the slot the live container is in
   * @param containerId the live container
   * @param upstream where the edge router sends the app's traffic, {@code host:port}
   * @param spec the spec that is now live
   */
  @EventType(EventTypes.DEPLOY_SUCCEEDED)
  record DeploySucceeded(
      String deploymentId,
      String app,
      long revision,
      Color color,
      String containerId,
      String upstream,
      DeploySpec spec,
      Instant at)
      implements DeployEvent {

    public DeploySucceeded {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(color, "color");
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(upstream, "upstream");
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(at, "at");
      if (revision < 1) {
        throw new IllegalArgumentException("revisions start at 1, not " + revision);
      }
      if (!app.equals(spec.app())) {
        throw new IllegalArgumentException(
            "deploy of app " + app + " carries a spec for app " + spec.app());
      }
    }
  }

  /**
   * The deployment failed and the live revision, if any, kept serving; emitted by the deployer.
   *
   * @param phase the phase it failed in, {@code null} if before the first
   * @param reason a stable snake_case code, e.g. {@code health_timeout}
   * @param message what went wrong and what to do about it, for a person; never a secret
   */
  @EventType(EventTypes.DEPLOY_FAILED)
  record DeployFailed(
      String deploymentId, String app, DeployPhase phase, String reason, String message, Instant at)
      implements DeployEvent {

    public DeployFailed {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * An earlier revision is live again; emitted by the deployer after a rollback command.
   *
   * @param fromRevision the revision that was live before
   * @param toRevision the revision that is live now
   * @param reason why, for the app's history
   */
  @EventType(EventTypes.DEPLOY_ROLLED_BACK)
  record DeployRolledBack(
      String deploymentId,
      String app,
      long fromRevision,
      long toRevision,
      String reason,
      Instant at)
      implements DeployEvent {

    public DeployRolledBack {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(at, "at");
    }
  }

  /** Every container and the route of an app are gone; emitted by the deployer. */
  @EventType(EventTypes.DEPLOY_REMOVED)
  record AppRemoved(String deploymentId, String app, Instant at) implements DeployEvent {

    public AppRemoved {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(at, "at");
    }
  }
}
