package dev.slipway.deployer;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.events.DeploySpec.HealthSpec;
import java.time.Duration;
import java.util.Locale;

/**
 * The deployer's own settings, read once from {@code SLIPWAY_DEPLOY_*} environment variables.
 * Durations are Compose-style ({@code 500ms}, {@code 30s}, {@code 2m}).
 *
 * @param drainTimeout how long the old container keeps serving requests in flight after the route
 *     switch before it is stopped anyway
 * @param drainGrace how long to wait after a switch when no edge router reports (none runs, or none
 *     reported yet), so requests already on their way still land
 * @param stopTimeout how long a container gets between SIGTERM and SIGKILL
 * @param rollbackWindow how long after the switch the new revision is watched; when it fails its
 *     health meanwhile, the route goes back to the old container
 * @param deployTimeout how long a new container may take to pass its health check, unless the spec
 *     says otherwise
 * @param stepTimeout the bound of every other step: engine calls, Redis and Kafka writes
 * @param pullTimeout the bound of an image pull
 * @param healthPath the health check path unless the spec names one
 * @param healthInterval time between health probes unless the spec says otherwise
 * @param healthTimeout how long one probe may take unless the spec says otherwise
 * @param healthyThreshold consecutive passing probes that make a new container healthy, unless the
 *     spec says otherwise
 * @param unhealthyThreshold consecutive failing probes within the rollback window that roll back
 * @param selfHeal whether apps whose spec does not say are repaired when they drift
 * @param concurrency how many apps are deployed at the same time (one deploy per app at a time)
 */
public record DeployerConfig(
    Duration drainTimeout,
    Duration drainGrace,
    Duration stopTimeout,
    Duration rollbackWindow,
    Duration deployTimeout,
    Duration stepTimeout,
    Duration pullTimeout,
    String healthPath,
    Duration healthInterval,
    Duration healthTimeout,
    int healthyThreshold,
    int unhealthyThreshold,
    boolean selfHeal,
    int concurrency) {

  public static final String DRAIN_TIMEOUT_ENV = "SLIPWAY_DEPLOY_DRAIN_TIMEOUT";
  public static final String DRAIN_GRACE_ENV = "SLIPWAY_DEPLOY_DRAIN_GRACE";
  public static final String STOP_TIMEOUT_ENV = "SLIPWAY_DEPLOY_STOP_TIMEOUT";
  public static final String ROLLBACK_WINDOW_ENV = "SLIPWAY_DEPLOY_ROLLBACK_WINDOW";
  public static final String DEPLOY_TIMEOUT_ENV = "SLIPWAY_DEPLOY_TIMEOUT";
  public static final String STEP_TIMEOUT_ENV = "SLIPWAY_DEPLOY_STEP_TIMEOUT";
  public static final String PULL_TIMEOUT_ENV = "SLIPWAY_DEPLOY_PULL_TIMEOUT";
  public static final String HEALTH_PATH_ENV = "SLIPWAY_DEPLOY_HEALTH_PATH";
  public static final String HEALTH_INTERVAL_ENV = "SLIPWAY_DEPLOY_HEALTH_INTERVAL";
  public static final String HEALTH_TIMEOUT_ENV = "SLIPWAY_DEPLOY_HEALTH_TIMEOUT";
  public static final String HEALTHY_THRESHOLD_ENV = "SLIPWAY_DEPLOY_HEALTHY_THRESHOLD";
  public static final String UNHEALTHY_THRESHOLD_ENV = "SLIPWAY_DEPLOY_UNHEALTHY_THRESHOLD";
  public static final String SELF_HEAL_ENV = "SLIPWAY_DEPLOY_SELF_HEAL";
  public static final String CONCURRENCY_ENV = "SLIPWAY_DEPLOY_CONCURRENCY";

  public DeployerConfig {
    check(drainTimeout, DRAIN_TIMEOUT_ENV, true);
    check(drainGrace, DRAIN_GRACE_ENV, true);
    check(stopTimeout, STOP_TIMEOUT_ENV, true);
    check(rollbackWindow, ROLLBACK_WINDOW_ENV, true);
    check(deployTimeout, DEPLOY_TIMEOUT_ENV, false);
    check(stepTimeout, STEP_TIMEOUT_ENV, false);
    check(pullTimeout, PULL_TIMEOUT_ENV, false);
    check(healthInterval, HEALTH_INTERVAL_ENV, false);
    check(healthTimeout, HEALTH_TIMEOUT_ENV, false);
    if (healthPath == null || !healthPath.startsWith("/")) {
      throw new ConfigException(HEALTH_PATH_ENV, "must start with /, not '" + healthPath + "'");
    }
    if (healthyThreshold < 1) {
      throw new ConfigException(HEALTHY_THRESHOLD_ENV, "must be at least 1");
    }
    if (unhealthyThreshold < 1) {
      throw new ConfigException(UNHEALTHY_THRESHOLD_ENV, "must be at least 1");
    }
    if (concurrency < 1) {
      throw new ConfigException(CONCURRENCY_ENV, "must be at least 1");
    }
  }

  /** The production defaults, as the README lists them. */
  public static DeployerConfig defaults() {
    return from(new Env(java.util.Map.of()));
  }

  /** Reads and validates; throws {@link ConfigException} naming the bad variable. */
  public static DeployerConfig from(Env env) {
    DeployerConfig config =
        new DeployerConfig(
            duration(env, DRAIN_TIMEOUT_ENV, "30s"),
            duration(env, DRAIN_GRACE_ENV, "2s"),
            duration(env, STOP_TIMEOUT_ENV, "10s"),
            duration(env, ROLLBACK_WINDOW_ENV, "10s"),
            duration(env, DEPLOY_TIMEOUT_ENV, "60s"),
            duration(env, STEP_TIMEOUT_ENV, "60s"),
            duration(env, PULL_TIMEOUT_ENV, "10m"),
            env.string(HEALTH_PATH_ENV, "/up"),
            duration(env, HEALTH_INTERVAL_ENV, "1s"),
            duration(env, HEALTH_TIMEOUT_ENV, "5s"),
            env.integer(HEALTHY_THRESHOLD_ENV, 1, 1, 100),
            env.integer(UNHEALTHY_THRESHOLD_ENV, 3, 1, 100),
            bool(env, SELF_HEAL_ENV, true),
            env.integer(CONCURRENCY_ENV, 4, 1, 256));
    config.validate();
    return config;
  }

  /** Checks the values; the canonical constructor runs the same checks. */
  public void validate() {
    if (stepTimeout.compareTo(stopTimeout) <= 0) {
      throw new ConfigException(
          STEP_TIMEOUT_ENV,
          "must be longer than "
              + STOP_TIMEOUT_ENV
              + " ("
              + stopTimeout.toMillis()
              + "ms), since stopping a container is a step");
    }
  }

  /** A copy with short waits, for tests and demos. */
  public DeployerConfig withTimings(
      Duration drainTimeout, Duration drainGrace, Duration stopTimeout, Duration rollbackWindow) {
    return new DeployerConfig(
        drainTimeout,
        drainGrace,
        stopTimeout,
        rollbackWindow,
        deployTimeout,
        stepTimeout,
        pullTimeout,
        healthPath,
        healthInterval,
        healthTimeout,
        healthyThreshold,
        unhealthyThreshold,
        selfHeal,
        concurrency);
  }

  private static Duration duration(Env env, String name, String defaultValue) {
    String raw = env.string(name, defaultValue);
    try {
      return HealthSpec.parseDuration(raw);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name, "'" + raw + "' is not a duration like 500ms, 30s or 2m");
    }
  }

  private static boolean bool(Env env, String name, boolean defaultValue) {
    String raw = env.string(name, Boolean.toString(defaultValue)).toLowerCase(Locale.ROOT);
    return switch (raw) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ConfigException(name, "'" + raw + "' is not true or false");
    };
  }

  private static void check(Duration value, String name, boolean zeroAllowed) {
    if (value == null || value.isNegative() || (!zeroAllowed && value.isZero())) {
      throw new ConfigException(name, zeroAllowed ? "must not be negative" : "must be positive");
    }
  }
}
