package dev.slipway.reconciler;

import dev.slipway.infra.launcher.ServiceRunner;
import java.util.List;

/**
 * Runs the reconciler service alone, as in production; {@code SLIPWAY_KAFKA_BOOTSTRAP_SERVERS} is
 * required. Start it once with {@code SLIPWAY_RECONCILER_REPLAY=true} (every other reconciler
 * stopped) to rebuild the build projection from the beginning of the build topics.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    ServiceRunner.main(List.of(new ReconcilerModule()), false);
  }
}
