package dev.slipway.infra.events;

import java.util.List;
import java.util.Optional;

/** Every Kafka topic of Slipway, with the events it carries. Partition counts are config. */
public final class Topics {

  /** Build commands from the gateway to the builders. Key: build id. */
  public static final Topic<BuildCommand> BUILD_COMMANDS =
      new Topic<>("slipway.build.commands", BuildCommand.class, false);

  /** What happens to each build, from the builders. Key: build id. */
  public static final Topic<BuildEvent> BUILD_EVENTS =
      new Topic<>("slipway.build.events", BuildEvent.class, false);

  /** Build output in batches of sequenced lines, from the builders. Key: build id. */
  public static final Topic<BuildLog> BUILD_LOGS =
      new Topic<>("slipway.build.logs", BuildLog.class, false);

  /** Deploy, rollback, remove and reconcile commands to the deployer. Key: app name. */
  public static final Topic<DeployCommand> DEPLOY_COMMANDS =
      new Topic<>("slipway.deploy.commands", DeployCommand.class, false);

  /** What happens to each deployment, from the deployer. Key: app name. */
  public static final Topic<DeployEvent> DEPLOY_EVENTS =
      new Topic<>("slipway.deploy.events", DeployEvent.class, false);

  /**
   * Container state, health, disappearance and drift, from the reconciler. Key: app name, or the
   * container id for a container no app owns.
   */
  public static final Topic<ContainerEvent> CONTAINER_EVENTS =
      new Topic<>("slipway.container.events", ContainerEvent.class, false);

  /**
   * Registry credentials, encrypted; compacted, so the latest value per credential is kept forever
   * and a tombstone deletes one. Key: credential name.
   */
  public static final Topic<RegistryCredentialEvent> REGISTRY_CREDENTIALS =
      new Topic<>("slipway.registry.credentials", RegistryCredentialEvent.class, true);

  /** All topics, e.g. to create them at start. */
  public static final List<Topic<?>> ALL =
      List.of(
          BUILD_COMMANDS,
          BUILD_EVENTS,
          BUILD_LOGS,
          DEPLOY_COMMANDS,
          DEPLOY_EVENTS,
          CONTAINER_EVENTS,
          REGISTRY_CREDENTIALS);

  private Topics() {}

  /** The topic with this name, if it is one of Slipway's. */
  public static Optional<Topic<?>> byName(String name) {
    return ALL.stream().filter(t -> t.name().equals(name)).findFirst();
  }
}
