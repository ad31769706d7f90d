package dev.slipway.infra.events;

import java.util.List;

/**
 * Slipway's topics under a name prefix ({@code SLIPWAY_TOPIC_PREFIX}, empty by default), so several
 * installations, or every test, can share one Kafka cluster without seeing each other.
 */
public record TopicSet(
    String prefix,
    Topic<BuildCommand> buildCommands,
    Topic<BuildEvent> buildEvents,
    Topic<BuildLog> buildLogs,
    Topic<DeployCommand> deployCommands,
    Topic<DeployEvent> deployEvents,
    Topic<ContainerEvent> containerEvents,
    Topic<RegistryCredentialEvent> registryCredentials) {

  /** The topics of {@link Topics} with {@code prefix} before each name. */
  public static TopicSet withPrefix(String prefix) {
    return new TopicSet(
        prefix,
        prefixed(prefix, Topics.BUILD_COMMANDS),
        prefixed(prefix, Topics.BUILD_EVENTS),
        prefixed(prefix, Topics.BUILD_LOGS),
        prefixed(prefix, Topics.DEPLOY_COMMANDS),
        prefixed(prefix, Topics.DEPLOY_EVENTS),
        prefixed(prefix, Topics.CONTAINER_EVENTS),
        prefixed(prefix, Topics.REGISTRY_CREDENTIALS));
  }

  public List<Topic<?>> all() {
    return List.of(
        buildCommands,
        buildEvents,
        buildLogs,
        deployCommands,
        deployEvents,
        containerEvents,
        registryCredentials);
  }

  private static <T extends SlipwayEvent> Topic<T> prefixed(String prefix, Topic<T> topic) {
    return topic.withName(prefix + topic.name());
  }
}
