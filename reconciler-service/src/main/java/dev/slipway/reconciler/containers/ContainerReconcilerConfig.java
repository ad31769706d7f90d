package dev.slipway.reconciler.containers;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  private static final Pattern DURATION =
      Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)", Pattern.CASE_INSENSITIVE);

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
            duration(env, RESYNC_INTERVAL, DEFAULT_RESYNC_INTERVAL),
            duration(env, MISSING_RETENTION, DEFAULT_MISSING_RETENTION),
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

  /**
   * A duration such as {@code 500ms}, {@code 30s}, {@code 10m} or {@code 1h}.
   *
   * @throws ConfigException naming {@code variable} when the value is not one
   */
  static Duration duration(Env env, String variable, Duration defaultValue) {
    String raw = env.optional(variable).orElse(null);
    if (raw == null) {
      return defaultValue;
    }
    Matcher m = DURATION.matcher(raw.trim());
    if (!m.matches()) {
      throw new ConfigException(
          variable, "'" + raw + "' is not a duration such as 500ms, 30s, 10m or 1h");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofHours(amount);
    };
  }
}
