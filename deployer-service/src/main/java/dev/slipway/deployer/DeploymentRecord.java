package dev.slipway.deployer;

import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.redis.DeploymentHash;
import java.time.Instant;

/**
 * One deployment as kept in {@code deployment:<id>} ({@link DeploymentHash}).
 *
 * @param kind one of the {@code DeploymentHash.KIND_*} values
 * @param status one of the {@code DeploymentHash.STATUS_*} values
 * @param phase the phase it is in or ended in; {@code null} before the first
 * @param announced whether the event making its revision live is on Kafka
 */
public record DeploymentRecord(
    String id,
    String app,
    String kind,
    DeploySpec.Strategy strategy,
    String status,
    DeployPhase phase,
    boolean announced,
    String buildId,
    Instant startedAt) {

  /** Whether it has ended: the deployer does not run it again. */
  public boolean ended() {
    return status != null && !DeploymentHash.STATUS_RUNNING.equals(status);
  }
}
