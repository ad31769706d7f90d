package dev.slipway.infra.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The configuration every Slipway service shares, read once from {@code SLIPWAY_*} environment
 * variables. README lists every variable with its default.
 *
 * @param httpPort gateway API, SSE and dashboard ({@code SLIPWAY_HTTP_PORT}); a service running
 *     alone answers {@code /health} here
 * @param edgePort edge router for app traffic ({@code SLIPWAY_EDGE_PORT})
 * @param domain apps answer at {@code <app>.<domain>} ({@code SLIPWAY_DOMAIN})
 * @param kafkaBootstrapServers Kafka; empty means "start the embedded broker" in the all-in-one
 *     launcher and is an error for a service running alone
 * @param embeddedKafkaPort where the embedded broker listens ({@code SLIPWAY_EMBEDDED_KAFKA_PORT})
 * @param kafkaPartitions partitions of topics Slipway creates ({@code SLIPWAY_KAFKA_PARTITIONS})
 * @param kafkaReplication replication factor of topics Slipway creates
 * @param redisUrl Redis ({@code SLIPWAY_REDIS_URL})
 * @param dockerHost Docker engine ({@code SLIPWAY_DOCKER_HOST})
 * @param dataDir embedded broker data, generated token, keys ({@code SLIPWAY_DATA_DIR})
 * @param apiTokens bearer tokens; empty means the launcher generates one
 * @param gitSchemes allowed repository URL schemes ({@code SLIPWAY_GIT_SCHEMES})
 * @param keyPrefix Redis key prefix ({@code SLIPWAY_KEY_PREFIX})
 * @param topicPrefix Kafka topic name prefix ({@code SLIPWAY_TOPIC_PREFIX}, empty by default)
 * @param instanceId this process's name in events and consumer client ids
 */
public record SlipwayConfig(
    int httpPort,
    int edgePort,
    String domain,
    Optional<String> kafkaBootstrapServers,
    int embeddedKafkaPort,
    int kafkaPartitions,
    short kafkaReplication,
    URI redisUrl,
    URI dockerHost,
    Path dataDir,
    List<ApiToken> apiTokens,
    Set<String> gitSchemes,
    String keyPrefix,
    String topicPrefix,
    String instanceId) {

  private static final Set<String> KNOWN_GIT_SCHEMES = Set.of("https", "http", "git");

  public SlipwayConfig {
    apiTokens = List.copyOf(apiTokens);
    gitSchemes = Set.copyOf(gitSchemes);
  }

  /** Reads and validates; throws {@link ConfigException} naming the first bad variable. */
  public static SlipwayConfig from(Env env) {
    String host = System.getenv().getOrDefault("HOSTNAME", "local");
    SlipwayConfig config =
        new SlipwayConfig(
            env.port("SLIPWAY_HTTP_PORT", 8080),
            env.port("SLIPWAY_EDGE_PORT", 8000),
            env.string("SLIPWAY_DOMAIN", "localhost"),
            env.optional("SLIPWAY_KAFKA_BOOTSTRAP_SERVERS"),
            env.port("SLIPWAY_EMBEDDED_KAFKA_PORT", 9092),
            env.integer("SLIPWAY_KAFKA_PARTITIONS", 3, 1, 1000),
            (short) env.integer("SLIPWAY_KAFKA_REPLICATION", 1, 1, 7),
            env.uri("SLIPWAY_REDIS_URL", "redis://127.0.0.1:6379", Set.of("redis", "rediss")),
            env.uri("SLIPWAY_DOCKER_HOST", "unix:///var/run/docker.sock", Set.of("unix", "tcp")),
            env.path("SLIPWAY_DATA_DIR", Path.of(System.getProperty("user.home"), ".slipway")),
            env.list("SLIPWAY_API_TOKENS", "").stream().map(ApiToken::parse).toList(),
            Set.copyOf(env.list("SLIPWAY_GIT_SCHEMES", "https")),
            env.string("SLIPWAY_KEY_PREFIX", "slipway:"),
            env.string("SLIPWAY_TOPIC_PREFIX", ""),
            env.string("SLIPWAY_INSTANCE_ID", host + "-" + ProcessHandle.current().pid()));
    config.validate();
    return config;
  }

  /** Checks what single reads cannot: values that only fail together or by their shape. */
  public void validate() {
    if (!domain.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
      throw new ConfigException("SLIPWAY_DOMAIN", "'" + domain + "' is not a DNS name");
    }
    if (httpPort != 0 && httpPort == edgePort) {
      throw new ConfigException(
          "SLIPWAY_EDGE_PORT", "must differ from SLIPWAY_HTTP_PORT (" + httpPort + ")");
    }
    for (String scheme : gitSchemes) {
      if (!KNOWN_GIT_SCHEMES.contains(scheme)) {
        throw new ConfigException(
            "SLIPWAY_GIT_SCHEMES", "'" + scheme + "' is not one of https, http, git");
      }
    }
    if (gitSchemes.isEmpty()) {
      throw new ConfigException("SLIPWAY_GIT_SCHEMES", "name at least one of https, http, git");
    }
    if (!keyPrefix.matches("[A-Za-z0-9_.-]+:")) {
      throw new ConfigException(
          "SLIPWAY_KEY_PREFIX", "'" + keyPrefix + "' must be letters, digits, _ . - ending in ':'");
    }
    if (!topicPrefix.matches("[A-Za-z0-9._-]*")) {
      throw new ConfigException(
          "SLIPWAY_TOPIC_PREFIX", "'" + topicPrefix + "' must be letters, digits, . _ -");
    }
    kafkaBootstrapServers.ifPresent(
        servers -> {
          if (!servers.matches("[A-Za-z0-9_.\\-\\[\\]:]+(,[A-Za-z0-9_.\\-\\[\\]:]+)*")) {
            throw new ConfigException(
                "SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", "expects host:port[,host:port...]");
          }
        });
  }

  /** The same configuration talking to another Kafka, e.g. the embedded broker once started. */
  public SlipwayConfig withKafka(String bootstrapServers) {
    return new SlipwayConfig(
        httpPort,
        edgePort,
        domain,
        Optional.of(bootstrapServers),
        embeddedKafkaPort,
        kafkaPartitions,
        kafkaReplication,
        redisUrl,
        dockerHost,
        dataDir,
        apiTokens,
        gitSchemes,
        keyPrefix,
        topicPrefix,
        instanceId);
  }

  /** The same configuration with tokens, e.g. the one the launcher generated. */
  public SlipwayConfig withApiTokens(List<ApiToken> tokens) {
    return new SlipwayConfig(
        httpPort,
        edgePort,
        domain,
        kafkaBootstrapServers,
        embeddedKafkaPort,
        kafkaPartitions,
        kafkaReplication,
        redisUrl,
        dockerHost,
        dataDir,
        tokens,
        gitSchemes,
        keyPrefix,
        topicPrefix,
        instanceId);
  }

  /** Bootstrap servers, or a {@link ConfigException} for a service that cannot run without. */
  public String requireKafka() {
    return kafkaBootstrapServers.orElseThrow(
        () ->
            new ConfigException(
                "SLIPWAY_KAFKA_BOOTSTRAP_SERVERS",
                "is required when a service runs alone (host:port[,host:port...])"));
  }
}
