package dev.slipway.deployer;

import dev.slipway.infra.events.Color;
import dev.slipway.infra.events.DeploySpec;
import java.time.Instant;

/**
 * An app as the deployer keeps it in {@code app:<name>} ({@link dev.slipway.infra.redis.AppHash}).
 *
 * @param spec the live spec; {@code null} when no revision is live yet
 * @param liveRevision the live revision, 0 when none
 * @param liveContainer the live container id, {@code null} when none
 * @param upstream {@code 127.0.0.1:<port>} of the live container; empty when it serves no port
 * @param lastRevision the highest revision ever recorded, 0 when none
 * @param deploying the deployment in flight, {@code null} when none
 * @param createdAt when the first revision went live
 */
public record AppRecord(
    String app,
    DeploySpec spec,
    long liveRevision,
    String liveDeployment,
    Color liveColor,
    String liveContainer,
    String upstream,
    long lastRevision,
    boolean selfHeal,
    String health,
    String deploying,
    Instant createdAt) {

  /** Whether a revision is live (its container may still have drifted away). */
  public boolean hasLive() {
    return spec != null && liveRevision > 0;
  }

  /** The same app with another live revision. */
  public AppRecord withLive(
      DeploySpec spec,
      long revision,
      String deploymentId,
      Color color,
      String containerId,
      String upstream,
      boolean selfHeal) {
    return new AppRecord(
        app,
        spec,
        revision,
        deploymentId,
        color,
        containerId,
        upstream,
        Math.max(lastRevision, revision),
        selfHeal,
        health,
        deploying,
        createdAt);
  }

  /** Leaves the spec out: its environment may hold secrets. */
  @Override
  public String toString() {
    return "AppRecord[app="
        + app
        + ", liveRevision="
        + liveRevision
        + ", liveColor="
        + liveColor
        + ", liveContainer="
        + liveContainer
        + ", upstream="
        + upstream
        + ", lastRevision="
        + lastRevision
        + ", deploying="
        + deploying
        + "]";
  }
}
