package dev.slipway.gateway;

import dev.slipway.infra.launcher.ServiceRunner;
import java.util.List;

/**
 * Runs the gateway service alone, as in production; {@code SLIPWAY_KAFKA_BOOTSTRAP_SERVERS} is
 * required.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    ServiceRunner.main(List.of(new GatewayModule()), false);
  }
}
