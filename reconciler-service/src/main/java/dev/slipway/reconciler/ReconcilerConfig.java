package dev.slipway.reconciler;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;
import java.util.Locale;

/**
 * The reconciler's own settings, read once from {@code SLIPWAY_*} environment variables.
 *
 * @param buildLogMaxLines how many lines a build's log stream keeps, about ({@value
 *     #LOG_MAX_LINES_ENV}, default {@value #DEFAULT_LOG_MAX_LINES}); the oldest lines go first
 * @param buildLogRetention how long a build's log stream stays after the build ended ({@value
 *     #LOG_RETENTION_ENV}, default 7d, as long as Kafka keeps the log topic by default); zero keeps
 *     logs for good. The build's summary stays either way.
 * @param replay whether this start rebuilds the build projection from the beginning of the build
 *     topics ({@value #REPLAY_ENV}, default false)
 */
public record ReconcilerConfig(int buildLogMaxLines, Duration buildLogRetention, boolean replay) {

  public static final String LOG_MAX_LINES_ENV = "SLIPWAY_BUILD_LOG_MAX_LINES";
  public static final String LOG_RETENTION_ENV = "SLIPWAY_BUILD_LOG_RETENTION";
  public static final String REPLAY_ENV = "SLIPWAY_RECONCILER_REPLAY";
  public static final int DEFAULT_LOG_MAX_LINES = 100_000;
  public static final Duration DEFAULT_LOG_RETENTION = Duration.ofDays(7);

  /** A limit lower than this would cut even a small build's log. */
  public static final int MIN_LOG_MAX_LINES = 100;

  public ReconcilerConfig {
    validate(buildLogMaxLines, buildLogRetention);
  }

  /** The defaults: long log streams kept a week, no replay. */
  public static ReconcilerConfig defaults() {
    return new ReconcilerConfig(DEFAULT_LOG_MAX_LINES, DEFAULT_LOG_RETENTION, false);
  }

  /** Reads and validates; throws {@link ConfigException} naming the bad variable. */
  public static ReconcilerConfig from(Env env) {
    ReconcilerConfig config =
        new ReconcilerConfig(
            env.integer(LOG_MAX_LINES_ENV, DEFAULT_LOG_MAX_LINES, MIN_LOG_MAX_LINES, 100_000_000),
            env.duration(LOG_RETENTION_ENV, DEFAULT_LOG_RETENTION),
            bool(env, REPLAY_ENV));
    config.validate();
    return config;
  }

  /** Checks the values; the canonical constructor runs it too, so no bad config is ever built. */
  public void validate() {
    validate(buildLogMaxLines, buildLogRetention);
  }

  public ReconcilerConfig withReplay(boolean replay) {
    return new ReconcilerConfig(buildLogMaxLines, buildLogRetention, replay);
  }

  private static void validate(int buildLogMaxLines, Duration buildLogRetention) {
    if (buildLogMaxLines < MIN_LOG_MAX_LINES) {
      throw new ConfigException(
          LOG_MAX_LINES_ENV, "must be at least " + MIN_LOG_MAX_LINES + ", not " + buildLogMaxLines);
    }
    if (buildLogRetention.isNegative()) {
      throw new ConfigException(LOG_RETENTION_ENV, "must not be negative");
    }
  }

  private static boolean bool(Env env, String name) {
    String raw = env.string(name, "false").toLowerCase(Locale.ROOT);
    return switch (raw) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ConfigException(name, "'" + raw + "' is not true or false");
    };
  }
}
