package dev.slipway.infra.redis;

import java.util.Objects;

/**
 * The Redis key names of Slipway's projections, under a prefix so several installations can share
 * one Redis. Each key family has exactly one writer (see DESIGN.md); everything here can be rebuilt
 * from Kafka and the Docker engine.
 */
public final class RedisKeys {

  /** The environment variable that sets the prefix. */
  public static final String ENV = "SLIPWAY_KEY_PREFIX";

  /** The prefix when {@value #ENV} is unset. */
  public static final String DEFAULT_PREFIX = "slipway:";

  /** How many revisions {@link #appRevisions(String)} keeps. */
  public static final int REVISIONS_KEPT = 20;

  /** How many deployment ids {@link #appDeployments(String)} keeps. */
  public static final int DEPLOYMENTS_KEPT = 50;

  private final String prefix;

  /**
   * Keys under {@code prefix}.
   *
   * @throws IllegalArgumentException when the prefix is empty, contains whitespace or does not end
   *     with {@code :}
   */
  public RedisKeys(String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException(ENV + " must not be empty; the default is slipway:");
    }
    if (prefix.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(
          ENV + " must not contain whitespace: '" + prefix + "'; e.g. slipway:");
    }
    if (!prefix.endsWith(":")) {
      throw new IllegalArgumentException(
          ENV + " must end with ':', e.g. '" + prefix + ":', not '" + prefix + "'");
    }
    this.prefix = prefix;
  }

  /** Keys under {@link #DEFAULT_PREFIX}. */
  public RedisKeys() {
    this(DEFAULT_PREFIX);
  }

  public String prefix() {
    return prefix;
  }

  /** Hash: one build's status and summary. Writer: reconciler. */
  public String build(String buildId) {
    return prefix + "build:" + part("build id", buildId);
  }

  /** Sorted set of build ids, scored by request time. Writer: reconciler. */
  public String builds() {
    return prefix + "builds";
  }

  /** Stream: one build's log lines; the stream id is the resume point. Writer: reconciler. */
  public String buildLog(String buildId) {
    return build(buildId) + ":log";
  }

  /** Hash: one managed container's projection. Writer: reconciler. */
  public String container(String containerId) {
    return prefix + "container:" + part("container id", containerId);
  }

  /** Set of managed container ids. Writer: reconciler. */
  public String containers() {
    return prefix + "containers";
  }

  /** Hash: an app's desired spec, live revision, live color and history. Writer: deployer. */
  public String app(String name) {
    return prefix + "app:" + part("app name", name);
  }

  /** Set of app names. Writer: deployer. */
  public String apps() {
    return prefix + "apps";
  }

  /**
   * Hash: an app's revision history, revision number to a JSON object {@code {revision,
   * deployment_id, build_id, spec, deployed_at}}; the deployer keeps the newest {@value
   * #REVISIONS_KEPT}. Writer: deployer.
   */
  public String appRevisions(String name) {
    return app(name) + ":revisions";
  }

  /**
   * Sorted set: an app's deployment ids scored by when they were requested (epoch ms), the newest
   * {@value #DEPLOYMENTS_KEPT}. Writer: deployer.
   */
  public String appDeployments(String name) {
    return app(name) + ":deployments";
  }

  /**
   * Hash: one deployment's progress and outcome, field names in {@link DeploymentHash}; kept for a
   * week after it ends. Writer: deployer.
   */
  public String deployment(String deploymentId) {
    return prefix + "deployment:" + part("deployment id", deploymentId);
  }

  /** Hash: app name to upstream {@code host:port}, the edge router's table. Writer: deployer. */
  public String routes() {
    return prefix + "routes";
  }

  /** Pub/sub channel the deployer publishes the new routes version on after changing a route. */
  public String routesChannel() {
    return prefix + "routes:changed";
  }

  /** Counter: bumped (INCR) by the deployer with every route change. Writer: deployer. */
  public String routesVersion() {
    return prefix + "routes:version";
  }

  /**
   * Hash: one edge router's report, refreshed every second with a 5 s expiry so a dead gateway
   * drops out: {@code version} = the routes version it serves, {@code inflight:<upstream>} = its
   * requests in flight to that upstream. The deployer drains an old upstream by waiting until every
   * live edge serves the new version and has nothing in flight to it. Writer: gateway.
   */
  public String edge(String instanceId) {
    return prefix + "edge:" + part("instance id", instanceId);
  }

  /** The SCAN pattern of every edge report. */
  public String edgePattern() {
    return prefix + "edge:*";
  }

  /** Stream: the change feed (builds, deploys, containers) behind SSE. Writer: reconciler. */
  public String feed() {
    return prefix + "feed";
  }

  /** String: the result of a command sent with an {@code Idempotency-Key}. Writer: gateway. */
  public String idempotency(String key) {
    Objects.requireNonNull(key, "idempotency key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("idempotency key must not be empty");
    }
    return prefix + "idem:" + key;
  }

  /**
   * Hash: a build request as the gateway accepted it, kept for a day so a read right after the 202
   * finds the build before the reconciler has projected it. Writer: gateway.
   */
  public String buildRequest(String buildId) {
    return prefix + "build:" + part("build id", buildId) + ":request";
  }

  /** String: which builder instance holds a build, with a lease it renews. Writer: builder. */
  public String builderClaim(String buildId) {
    return prefix + "builder:claim:" + part("build id", buildId);
  }

  // A ':' inside an id would let one family's key alias another's (build "x:log" is x's log).
  private static String part(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          what + " must be non-empty without ':', not '" + value + "'");
    }
    return value;
  }

  @Override
  public String toString() {
    return "RedisKeys[" + prefix + "]";
  }
}
