package dev.slipway.deployer;

import dev.slipway.infra.events.DeploySpec;
import java.time.Instant;

/**
 * One revision of an app's history, stored as JSON in {@code app:<name>:revisions}: what a rollback
 * puts back without a rebuild.
 *
 * @param deploymentId the deployment that first put it live
 * @param buildId the build that produced its image, {@code null} for a direct deploy
 */
public record RevisionEntry(
    long revision, String deploymentId, String buildId, DeploySpec spec, Instant deployedAt) {}
