package dev.slipway.infra.kafka;

import dev.slipway.infra.events.Topic;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates Slipway's topics at start-up when they are missing; existing topics are left as is. */
public final class TopicAdmin {

  private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);

  private TopicAdmin() {}

  /** Creates the missing topics, blocking; returns the names it created. */
  public static List<String> ensure(
      String bootstrapServers, Collection<Topic<?>> topics, int partitions, short replication)
      throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrapServers))) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing =
          topics.stream()
              .filter(t -> !existing.contains(t.name()))
              .map(t -> newTopic(t, partitions, replication))
              .toList();
      if (missing.isEmpty()) {
        return List.of();
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        // Another instance starting at the same time may have created them first.
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      List<String> created = missing.stream().map(NewTopic::name).toList();
      log.info("created topics topics={} partitions={}", created, partitions);
      return created;
    }
  }

  /** {@link #ensure} off the event loop. */
  public static Future<List<String>> ensure(
      Vertx vertx,
      String bootstrapServers,
      Collection<Topic<?>> topics,
      int partitions,
      short replication) {
    return Blocking.run(vertx, () -> ensure(bootstrapServers, topics, partitions, replication));
  }

  private static NewTopic newTopic(Topic<?> topic, int partitions, short replication) {
    NewTopic newTopic = new NewTopic(topic.name(), partitions, replication);
    if (topic.compacted()) {
      newTopic.configs(
          Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    }
    return newTopic;
  }
}
