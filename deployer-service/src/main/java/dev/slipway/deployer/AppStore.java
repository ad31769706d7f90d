package dev.slipway.deployer;

import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The deployer's state: apps, their revision history, deployments and the edge routes. The deployer
 * is the only writer of all of it (the edge reports it only reads).
 */
public interface AppStore {

  /** The app, or {@code null} when the store has no state for it. */
  Future<AppRecord> load(String app);

  /** Names of the apps with a live revision or a first deploy in flight. */
  Future<Set<String>> apps();

  /** The app's kept revisions, by number. */
  Future<Map<Long, RevisionEntry>> revisions(String app);

  /** The deployment, or {@code null} when unknown. */
  Future<DeploymentRecord> deployment(String deploymentId);

  /**
   * Marks the app as deploying (the reconciler holds off drift reports) and the deployment running.
   */
  Future<Void> begin(Start start);

  /** Records the phase a deployment entered. */
  Future<Void> phase(String deploymentId, DeployPhase phase);

  /**
   * Records, in one transaction, that {@code live} is the app's live revision: the app hash, the
   * apps set, the new revision in the history ({@code null} when the revision is already there) and
   * the deployment's container ({@code deploymentId} {@code null}: none, as when a rollback after
   * the switch restores the previous record).
   */
  Future<Void> commit(AppRecord live, RevisionEntry newRevision, String deploymentId);

  /** Records that the event making the deployment's revision live is on Kafka. */
  Future<Void> announced(String deploymentId);

  /**
   * Ends a deployment: its outcome, and the app no longer deploying. An app that has no live
   * revision afterwards loses its hash.
   */
  Future<Void> finish(String app, String deploymentId, Outcome outcome);

  /** Records a deployment that never ran because {@code by} replaced it. */
  Future<Void> superseded(
      String app, String deploymentId, String by, String message, Instant requestedAt);

  /**
   * Points the app's route at {@code upstream} ({@code null} removes it), bumps the routes version
   * and announces it on the routes channel, atomically.
   *
   * @return the new routes version
   */
  Future<Long> route(String app, String upstream);

  /** Where the app's route points now, {@code null} when it has none. */
  Future<String> currentRoute(String app);

  /** The reports of the edge routers alive now. */
  Future<List<EdgeReport>> edges();

  /** Records another live container (or upstream, or health) for the same live revision. */
  Future<Void> updateLive(String app, String containerId, String upstream, String health);

  /** Deletes the app's hash, history and deployment index, and takes it out of the apps set. */
  Future<Void> removeApp(String app);

  /** Writes an app rebuilt from elsewhere (Kafka and the engine) with its history. */
  Future<Void> restore(AppRecord app, Collection<RevisionEntry> revisions);

  /**
   * A deployment as it starts.
   *
   * @param kind one of the {@code DeploymentHash.KIND_*} values
   * @param strategy {@code null} for a removal
   * @param buildId {@code null} unless the image came from a build
   */
  record Start(
      String deploymentId,
      String app,
      String kind,
      DeploySpec.Strategy strategy,
      String buildId,
      Instant requestedAt,
      Instant startedAt) {}

  /**
   * How a deployment ended.
   *
   * @param status one of the {@code DeploymentHash.STATUS_*} values
   * @param reason the failure reason code, {@code null} on success
   */
  record Outcome(String status, DeployPhase phase, String reason, String message) {}
}
