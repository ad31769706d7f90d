package dev.slipway.reconciler;

import dev.slipway.infra.kafka.KafkaClients;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends consumer groups back to the beginning of their topics by deleting their committed offsets:
 * the consumers then start from the earliest record ({@code auto.offset.reset=earliest}). Kafka
 * only allows that while a group has no members, so it waits for the group to empty, which after a
 * crash takes up to the session timeout.
 */
final class GroupRewind {

  private static final Logger log = LoggerFactory.getLogger(GroupRewind.class);
  private static final long CALL_TIMEOUT_SECONDS = 10;
  private static final Duration POLL = Duration.ofSeconds(1);

  private final Vertx vertx;
  private final String bootstrapServers;
  private final Duration waitForEmpty;

  /**
   * @param waitForEmpty how long to wait for the members of a group to leave before giving up
   */
  GroupRewind(Vertx vertx, String bootstrapServers, Duration waitForEmpty) {
    this.vertx = vertx;
    this.bootstrapServers = bootstrapServers;
    this.waitForEmpty = waitForEmpty;
  }

  /** Rewinds each group (by group id) on its topic; fails when a group keeps members. */
  Future<Void> rewind(Map<String, String> topicsByGroup) {
    return Blocking.run(vertx, () -> Admin.create(KafkaClients.admin(bootstrapServers)))
        .compose(
            admin -> {
              long deadline = System.nanoTime() + waitForEmpty.toNanos();
              Future<Void> chain = Future.succeededFuture();
              for (Map.Entry<String, String> e : topicsByGroup.entrySet()) {
                chain = chain.compose(v -> rewind(admin, e.getKey(), e.getValue(), deadline));
              }
              return chain.eventually(() -> Blocking.run(vertx, () -> close(admin)));
            });
  }

  private Future<Void> rewind(Admin admin, String group, String topic, long deadline) {
    return Blocking.run(vertx, () -> members(admin, group))
        .compose(
            members -> {
              if (members == 0) {
                return Blocking.run(vertx, () -> deleteOffsets(admin, group, topic));
              }
              if (System.nanoTime() > deadline) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "replay needs every reconciler stopped, but consumer group "
                            + group
                            + " still has "
                            + members
                            + " member(s) after "
                            + waitForEmpty.toSeconds()
                            + " s"));
              }
              log.info("replay waits for the group to empty group={} members={}", group, members);
              return vertx
                  .timer(POLL.toMillis(), TimeUnit.MILLISECONDS)
                  .compose(t -> rewind(admin, group, topic, deadline));
            });
  }

  private static int members(Admin admin, String group) throws Exception {
    try {
      ConsumerGroupDescription description =
          admin
              .describeConsumerGroups(Set.of(group))
              .describedGroups()
              .get(group)
              .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return description.members().size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return 0;
      }
      throw e;
    }
  }

  private static Void deleteOffsets(Admin admin, String group, String topic) throws Exception {
    Set<TopicPartition> committed;
    try {
      committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
              .keySet()
              .stream()
              .filter(tp -> tp.topic().equals(topic))
              .collect(Collectors.toSet());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        committed = Set.of();
      } else {
        throw e;
      }
    }
    if (!committed.isEmpty()) {
      admin
          .deleteConsumerGroupOffsets(group, committed)
          .all()
          .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    log.info(
        "rewound consumer group to the beginning group={} topic={} partitions={}",
        group,
        topic,
        committed.size());
    return null;
  }

  private static Void close(Admin admin) {
    admin.close(Duration.ofSeconds(5));
    return null;
  }
}
