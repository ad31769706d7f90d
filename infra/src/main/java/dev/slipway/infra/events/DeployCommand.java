package dev.slipway.infra.events;

import java.time.Instant;
import java.util.Objects;

/**
 * A command on {@code slipway.deploy.commands}, keyed by app name so an app's commands run in
 * order; published by the gateway (and the deployer, after a build, and the reconciler, to
 * self-heal), consumed by the deployer.
 */
public sealed interface DeployCommand extends SlipwayEvent {

  /** The app this command is about. */
  String app();

  /** When the command was issued. */
  Instant requestedAt();

  /** The Kafka record key: the app name. */
  @Override
  default String key() {
    return app();
  }

  /**
   * Roll out a spec as the app's next revision; published by the gateway on {@code POST
   * /api/v1/apps/{app}/deployments}, or by the deployer when a build that asked for it succeeded.
   *
   * @param deploymentId the deployment's id; the deployer is idempotent on it
   * @param spec what to run; {@code spec.app()} equals {@code app}
   * @param buildId the build that produced the image, {@code null} for a direct deploy
   */
  @EventType(EventTypes.DEPLOY_REQUESTED)
  record DeployRequested(
      String deploymentId, String app, DeploySpec spec, String buildId, Instant requestedAt)
      implements DeployCommand {

    public DeployRequested {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(requestedAt, "requestedAt");
      if (!app.equals(spec.app())) {
        throw new IllegalArgumentException(
            "deploy of app " + app + " carries a spec for app " + spec.app());
      }
    }
  }

  /**
   * Put an earlier revision back live; published by the gateway on {@code POST
   * /api/v1/apps/{app}/rollback}.
   *
   * @param toRevision the revision to restore, {@code null} for the one before the live one
   */
  @EventType(EventTypes.DEPLOY_ROLLBACK_REQUESTED)
  record RollbackRequested(String deploymentId, String app, Long toRevision, Instant requestedAt)
      implements DeployCommand {

    public RollbackRequested {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(requestedAt, "requestedAt");
      if (toRevision != null && toRevision < 1) {
        throw new IllegalArgumentException("revisions start at 1, not " + toRevision);
      }
    }
  }

  /**
   * Stop and remove every container of an app, and its route; published by the gateway on {@code
   * DELETE /api/v1/apps/{app}}.
   */
  @EventType(EventTypes.DEPLOY_REMOVE_REQUESTED)
  record RemoveRequested(String deploymentId, String app, Instant requestedAt)
      implements DeployCommand {

    public RemoveRequested {
      Objects.requireNonNull(deploymentId, "deploymentId");
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(requestedAt, "requestedAt");
    }
  }

  /**
   * Bring an app back to its desired state; published by the reconciler when it detects drift on an
   * app with self-heal on.
   *
   * @param reason what drifted, for the app's history
   */
  @EventType(EventTypes.DEPLOY_RECONCILE_REQUESTED)
  record ReconcileRequested(String app, String reason, Instant requestedAt)
      implements DeployCommand {

    public ReconcileRequested {
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(requestedAt, "requestedAt");
    }
  }
}
