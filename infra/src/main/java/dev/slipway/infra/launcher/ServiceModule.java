package dev.slipway.infra.launcher;

import io.vertx.core.Future;

/**
 * One Slipway service as the launcher sees it: a name and how to deploy its verticles. Each service
 * module registers one through {@link java.util.ServiceLoader}, so the all-in-one launcher runs
 * whatever services are on its class path and each service's own {@code Main} runs just its own.
 */
public interface ServiceModule {

  /** Short name, e.g. {@code builder}; also the CloudEvents source {@code /slipway/<name>}. */
  String name();

  /** Deploys the service's verticles; the Future fails when the service cannot start. */
  Future<?> deploy(ServiceContext context);

  /**
   * Whether the service serves {@code /health} on its own HTTP server (the gateway does); when none
   * in the process does, the launcher starts a small health server on the HTTP port.
   */
  default boolean servesHealth() {
    return false;
  }
}
