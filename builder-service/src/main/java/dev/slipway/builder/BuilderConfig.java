package dev.slipway.builder;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The builder's own settings, read once from {@code SLIPWAY_BUILDER_*} and {@code SLIPWAY_GIT_*}
 * variables; README lists them with their defaults.
 *
 * @param concurrency builds running at once in this instance ({@code SLIPWAY_BUILDER_CONCURRENCY});
 *     more instances share the load through the consumer group
 * @param defaultTimeout a build's time limit when the request names none ({@code
 *     SLIPWAY_BUILDER_TIMEOUT_SECONDS})
 * @param lease how long a build's claim stays valid without renewal ({@code
 *     SLIPWAY_BUILDER_LEASE_MS}); a builder that stops renewing loses its builds after this long
 * @param maxAttempts how many builders may run one build before it fails as {@code builder_lost}
 *     ({@code SLIPWAY_BUILDER_MAX_ATTEMPTS})
 * @param gitTimeout the longest a git network operation may stay silent ({@code
 *     SLIPWAY_GIT_TIMEOUT_SECONDS})
 * @param gitDenyHosts hosts and CIDR ranges a repository URL must not resolve into ({@code
 *     SLIPWAY_GIT_DENY_HOSTS})
 * @param workDir where clones are made, each in a fresh directory deleted after the build ({@code
 *     SLIPWAY_BUILDER_WORK_DIR})
 */
public record BuilderConfig(
    int concurrency,
    Duration defaultTimeout,
    Duration lease,
    int maxAttempts,
    Duration gitTimeout,
    List<String> gitDenyHosts,
    Path workDir) {

  /** Link-local ranges and cloud metadata names: where a repository URL has no business going. */
  public static final String DEFAULT_DENY_HOSTS =
      "169.254.0.0/16,fe80::/10,fd00:ec2::254/128,0.0.0.0/8,metadata.google.internal,metadata";

  public BuilderConfig {
    gitDenyHosts = List.copyOf(gitDenyHosts);
  }

  public static BuilderConfig from(Env env) {
    BuilderConfig config =
        new BuilderConfig(
            env.integer("SLIPWAY_BUILDER_CONCURRENCY", 2, 1, 64),
            Duration.ofSeconds(env.integer("SLIPWAY_BUILDER_TIMEOUT_SECONDS", 1800, 1, 86_400)),
            Duration.ofMillis(env.integer("SLIPWAY_BUILDER_LEASE_MS", 15_000, 300, 600_000)),
            env.integer("SLIPWAY_BUILDER_MAX_ATTEMPTS", 2, 1, 10),
            Duration.ofSeconds(env.integer("SLIPWAY_GIT_TIMEOUT_SECONDS", 60, 1, 3600)),
            env.list("SLIPWAY_GIT_DENY_HOSTS", DEFAULT_DENY_HOSTS),
            env.path("SLIPWAY_BUILDER_WORK_DIR", Path.of(System.getProperty("java.io.tmpdir"))));
    config.validate();
    return config;
  }

  /** Checks what single reads cannot: the deny list's entries. */
  public void validate() {
    try {
      HostDenyList.parse(gitDenyHosts);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("SLIPWAY_GIT_DENY_HOSTS", e.getMessage());
    }
  }

  /** How often a held claim is renewed: three times per lease, so one late renewal is harmless. */
  public Duration renewEvery() {
    return lease.dividedBy(3);
  }
}
