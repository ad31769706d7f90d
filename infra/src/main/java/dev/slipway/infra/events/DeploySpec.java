package dev.slipway.infra.events;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The desired state of an app: what to run and how to roll it out. Sent by clients in deploy
 * commands (and in build requests, to deploy on success); carried whole in {@code deploy.succeeded}
 * so the app projection can be rebuilt from Kafka alone.
 *
 * @param app the app name, see {@link Names#APP_REGEX}
 * @param image the image reference to run
 * @param strategy how a new revision replaces the live one
 * @param port the container port the app listens on; {@code null} when it serves no traffic
 * @param env environment variables of the container: names in clear, values sealed by the gateway
 *     ({@code sealed:v1:<key id>:<ciphertext>}, see {@link dev.slipway.infra.secrets.SealedEnv});
 *     only the deployer opens them, when it creates the container. A value without that prefix is
 *     taken as plain text.
 * @param health the health check gating the deploy; {@code null} for the deployer's defaults
 * @param resources CPU and memory limits; {@code null} for none
 * @param volumes Compose-style volume mounts, {@code name:/path[:ro]}
 * @param command overrides the image's command when not empty
 * @param labels extra container labels; never in the {@code dev.slipway.} namespace
 * @param selfHeal whether the reconciler may ask to restore the app when it drifts; {@code null}
 *     for the default
 */
public record DeploySpec(
    String app,
    String image,
    Strategy strategy,
    Integer port,
    Map<String, String> env,
    HealthSpec health,
    Resources resources,
    List<String> volumes,
    List<String> command,
    Map<String, String> labels,
    Boolean selfHeal) {

  public DeploySpec {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(strategy, "strategy");
    env = env == null ? Map.of() : Map.copyOf(env);
    volumes = volumes == null ? List.of() : List.copyOf(volumes);
    command = command == null ? List.of() : List.copyOf(command);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    for (String label : labels.keySet()) {
      if (label.startsWith("dev.slipway.")) {
        throw new IllegalArgumentException(
            "label " + label + " is reserved: dev.slipway.* labels are set by Slipway");
      }
    }
  }

  /** This spec with another environment, e.g. its values sealed. */
  public DeploySpec withEnv(Map<String, String> newEnv) {
    return new DeploySpec(
        app, image, strategy, port, newEnv, health, resources, volumes, command, labels, selfHeal);
  }

  /** Names the env variables without their values: even sealed, values stay out of logs. */
  @Override
  public String toString() {
    return "DeploySpec[app="
        + app
        + ", image="
        + image
        + ", strategy="
        + strategy.wire()
        + ", port="
        + port
        + ", env="
        + new java.util.TreeSet<>(env.keySet())
        + ", health="
        + health
        + ", resources="
        + resources
        + ", volumes="
        + volumes
        + ", command="
        + command
        + ", labels="
        + labels
        + ", selfHeal="
        + selfHeal
        + "]";
  }

  /** How a deploy replaces the live container. */
  public enum Strategy {
    /**
     * Start the new revision beside the live one, switch the route once it is healthy, then drain
     * and remove the old one: no downtime.
     */
    BLUE_GREEN("blue-green"),
    /** Stop the live container, then start the new one: downtime, but never two at once. */
    RECREATE("recreate");

    private final String wire;

    Strategy(String wire) {
      this.wire = wire;
    }

    /** The JSON value: {@code blue-green} or {@code recreate}. */
    @JsonValue
    public String wire() {
      return wire;
    }

    /** The constant for a JSON value. */
    public static Strategy of(String wire) {
      return WireNames.parse(values(), Strategy::wire, "strategy", wire);
    }
  }

  /**
   * The HTTP health check of a new container. Durations are Compose-style strings ({@code "500ms"},
   * {@code "30s"}, {@code "1m30s"}); {@code null} fields take the deployer's defaults.
   *
   * @param path the HTTP path probed on the app port, e.g. {@code /health}
   * @param interval time between probes
   * @param timeout how long one probe may take
   * @param healthyThreshold consecutive successes needed to call the container healthy
   * @param startPeriod grace time after start during which failures do not count
   * @param deployTimeout how long the deploy waits for health before it fails
   */
  public record HealthSpec(
      String path,
      String interval,
      String timeout,
      Integer healthyThreshold,
      String startPeriod,
      String deployTimeout) {

    /** Compose (Go) duration syntax: one or more number-unit pairs. */
    public static final String DURATION_REGEX = "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$";

    private static final Pattern DURATION = Pattern.compile(DURATION_REGEX);
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|ms|s|m|h)");

    public HealthSpec {
      if (path != null && !path.startsWith("/")) {
        throw new IllegalArgumentException("health path must start with /, not " + path);
      }
      if (healthyThreshold != null && healthyThreshold < 1) {
        throw new IllegalArgumentException(
            "healthyThreshold must be positive: " + healthyThreshold);
      }
      for (String d : new String[] {interval, timeout, startPeriod, deployTimeout}) {
        if (d != null) {
          parseDuration(d);
        }
      }
    }

    /**
     * A Compose-style duration as a {@link Duration}.
     *
     * @throws IllegalArgumentException when {@code text} is not e.g. {@code 500ms}, {@code 30s},
     *     {@code 2m}, {@code 1h30m}
     */
    public static Duration parseDuration(String text) {
      if (text == null || !DURATION.matcher(text).matches()) {
        throw new IllegalArgumentException(
            "duration must look like 500ms, 30s, 2m or 1h30m, not " + text);
      }
      double nanos = 0;
      Matcher m = PART.matcher(text);
      while (m.find()) {
        double n = Double.parseDouble(m.group(1));
        nanos +=
            switch (m.group(2)) {
              case "ns" -> n;
              case "us" -> n * 1e3;
              case "ms" -> n * 1e6;
              case "s" -> n * 1e9;
              case "m" -> n * 60e9;
              default -> n * 3600e9;
            };
      }
      return Duration.ofNanos(Math.round(nanos));
    }
  }

  /**
   * Container resource limits, as in Compose.
   *
   * @param cpus CPU quota in cores, e.g. {@code 0.5}; {@code null} for no limit
   * @param memory memory limit, e.g. {@code 512m} or {@code 1g}; {@code null} for no limit
   */
  public record Resources(Double cpus, String memory) {

    /** Compose memory syntax: a number with an optional unit b, k, m or g (powers of 1024). */
    public static final String MEMORY_REGEX = "^[0-9]+(\\.[0-9]+)?([bB]|[kKmMgG][bB]?)?$";

    private static final Pattern MEMORY = Pattern.compile(MEMORY_REGEX);

    public Resources {
      if (cpus != null && !(cpus > 0)) {
        throw new IllegalArgumentException("cpus must be positive, not " + cpus);
      }
      if (memory != null && !MEMORY.matcher(memory).matches()) {
        throw new IllegalArgumentException("memory must look like 512m or 1g, not " + memory);
      }
    }

    /** The memory limit in bytes, or {@code null} for no limit. */
    public Long memoryBytes() {
      if (memory == null) {
        return null;
      }
      String digits = memory.replaceAll("[a-zA-Z]+$", "");
      String unit = memory.substring(digits.length()).toLowerCase(Locale.ROOT);
      long factor =
          switch (unit.isEmpty() ? 'b' : unit.charAt(0)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1L;
          };
      return Math.round(Double.parseDouble(digits) * factor);
    }
  }
}
