package dev.slipway.reconciler.containers;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;

/**
 * Settings of the container reconciler.
 *
 * @param resyncInterval how often the whole projection is re-read from the engine ({@value
 *     #RESYNC_INTERVAL}); the engine drops events, the resync is what guarantees convergence
 * @param missingRetention how long an entry of a container gone from the engine stays, as {@code
 *     missing}, before it is removed ({@value #MISSING_RETENTION})
 * @param workers containers inspected at once
 * @param reconnectInitialBackoff the first wait before reopening a lost engine event stream
 * @param reconnectMaxBackoff the cap of the doubling wait
 */
public record ContainerReconcilerConfig(
    Duration resyncInterval,
    Duration missingRetention,
    int workers,
    Duration reconnectInitialBackoff,
    Duration reconnectMaxBackoff) {

  public static final String RESYNC_INTERVAL = "SLIPWAY_RESYNC_INTERVAL";
  public static final String MISSING_RETENTION = "SLIPWAY_MISSING_RETENTION";

  public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_MISSING_RETENTION = Duration.ofMinutes(10);

  /** The defaults, as in production. */
  public static ContainerReconcilerConfig defaults() {
    return new ContainerReconcilerConfig(
        DEFAULT_RESYNC_INTERVAL,
        DEFAULT_MISSING_RETENTION,
        4,
        Duration.ofMillis(500),
        Duration.ofSeconds(30));
  }

  /** Reads and validates; a bad value throws a {@link ConfigException} naming the variable. */
  public static ContainerReconcilerConfig from(Env env) {
    ContainerReconcilerConfig defaults = defaults();
    ContainerReconcilerConfig config =
        new ContainerReconcilerConfig(
            env.duration(RESYNC_INTERVAL, DEFAULT_RESYNC_INTERVAL),
            env.duration(MISSING_RETENTION, DEFAULT_MISSING_RETENTION),
            defaults.workers(),
            defaults.reconnectInitialBackoff(),
            defaults.reconnectMaxBackoff());
    config.validate();
    return config;
  }

  public void validate() {
    if (resyncInterval.compareTo(Duration.ofMillis(100)) < 0
        || resyncInterval.compareTo(Duration.ofHours(24)) > 0) {
      throw new ConfigException(
          RESYNC_INTERVAL, "must be from 100ms to 24h, not " + resyncInterval.toMillis() + "ms");
    }
    if (missingRetention.isNegative() || missingRetention.compareTo(Duration.ofDays(30)) > 0) {
      throw new ConfigException(
          MISSING_RETENTION, "must be from 0s to 720h, not " + missingRetention.toMillis() + "ms");
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1");
    }
    if (reconnectInitialBackoff.isNegative()
        || reconnectInitialBackoff.isZero()
        || reconnectMaxBackoff.compareTo(reconnectInitialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 < reconnectInitialBackoff <= reconnectMaxBackoff");
    }
  }

  /** The same settings with another resync interval and retention, e.g. short ones in tests. */
  public ContainerReconcilerConfig withIntervals(Duration resync, Duration retention) {
    return new ContainerReconcilerConfig(
        resync, retention, workers, reconnectInitialBackoff, reconnectMaxBackoff);
  }

  /** The same settings with another reconnect backoff. */
  public ContainerReconcilerConfig withReconnectBackoff(Duration initial, Duration max) {
    return new ContainerReconcilerConfig(resyncInterval, missingRetention, workers, initial, max);
  }
}
