package dev.slipway.gateway.edge;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.time.Duration;
import java.util.Map;

/**
 * The edge router's tuning; the port and domain come from {@code SlipwayConfig}.
 *
 * @param connectTimeout how long a request may wait for a connection to its upstream, pool wait
 *     included ({@code SLIPWAY_EDGE_CONNECT_TIMEOUT_MS}, default 5000)
 * @param upstreamTimeout how long an upstream may take to start its response once the request is
 *     sent; 504 after that. A response under way (SSE, a long download) has no limit ({@code
 *     SLIPWAY_EDGE_UPSTREAM_TIMEOUT_MS}, default 60000)
 * @param maxConnectionsPerUpstream pooled keep-alive connections per upstream and router instance
 *     ({@code SLIPWAY_EDGE_MAX_CONNECTIONS}, default 256)
 * @param instances router verticle instances, i.e. event loops serving app traffic ({@code
 *     SLIPWAY_EDGE_INSTANCES}, default the number of processors)
 * @param reportInterval how often the edge report is rewritten (the routing contract: 1 s)
 * @param reportTtl the edge report's expiry, so a dead gateway drops out (the contract: 5 s)
 * @param redisTimeout the limit on each Redis command the edge sends
 * @param retryAfter the {@code Retry-After} of a 503
 */
public record EdgeConfig(
    Duration connectTimeout,
    Duration upstreamTimeout,
    int maxConnectionsPerUpstream,
    int instances,
    Duration reportInterval,
    Duration reportTtl,
    Duration redisTimeout,
    Duration retryAfter) {

  /** Reads and validates; throws {@link ConfigException} naming the first bad variable. */
  public static EdgeConfig from(Env env) {
    EdgeConfig config =
        new EdgeConfig(
            Duration.ofMillis(env.integer("SLIPWAY_EDGE_CONNECT_TIMEOUT_MS", 5_000, 1, 600_000)),
            Duration.ofMillis(
                env.integer("SLIPWAY_EDGE_UPSTREAM_TIMEOUT_MS", 60_000, 1, 3_600_000)),
            env.integer("SLIPWAY_EDGE_MAX_CONNECTIONS", 256, 1, 65_536),
            env.integer(
                "SLIPWAY_EDGE_INSTANCES", Runtime.getRuntime().availableProcessors(), 1, 256),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(5),
            Duration.ofSeconds(5));
    config.validate();
    return config;
  }

  /** Every default, as with no {@code SLIPWAY_EDGE_*} variable set. */
  public static EdgeConfig defaults() {
    return from(new Env(Map.of()));
  }

  /**
   * Checks what single reads cannot; the fields no variable sets fail with an {@link
   * IllegalArgumentException}.
   */
  public void validate() {
    if (maxConnectionsPerUpstream < 1) {
      throw new ConfigException("SLIPWAY_EDGE_MAX_CONNECTIONS", "must be at least 1");
    }
    if (instances < 1) {
      throw new ConfigException("SLIPWAY_EDGE_INSTANCES", "must be at least 1");
    }
    for (Duration d :
        new Duration[] {connectTimeout, upstreamTimeout, reportInterval, redisTimeout}) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException("edge timeouts and intervals must be positive: " + this);
      }
    }
    // Two missed writes in a row must not make a live edge look dead to a drain.
    if (reportTtl.compareTo(reportInterval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException(
          "the edge report expiry must be at least twice its interval: " + this);
    }
    if (retryAfter.toSeconds() < 1) {
      throw new IllegalArgumentException("Retry-After must be at least one second: " + this);
    }
  }

  public EdgeConfig withUpstreamTimeout(Duration value) {
    return new EdgeConfig(
        connectTimeout,
        value,
        maxConnectionsPerUpstream,
        instances,
        reportInterval,
        reportTtl,
        redisTimeout,
        retryAfter);
  }

  public EdgeConfig withInstances(int value) {
    return new EdgeConfig(
        connectTimeout,
        upstreamTimeout,
        maxConnectionsPerUpstream,
        value,
        reportInterval,
        reportTtl,
        redisTimeout,
        retryAfter);
  }
}
