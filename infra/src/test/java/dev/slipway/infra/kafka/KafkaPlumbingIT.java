package dev.slipway.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.kafka.EventConsumer.Delivery;
import dev.slipway.infra.kafka.EventConsumer.Options;
import dev.slipway.infra.kafka.EventConsumer.Ordering;
import dev.slipway.infra.kafka.TestEvent.Ping;
import dev.slipway.infra.testing.KafkaBroker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka plumbing on the real broker")
class KafkaPlumbingIT {

  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private Vertx vertx;
  private EventPublisher publisher;
  private final List<EventConsumer<?>> consumers = new ArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    publisher = new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/test/plumbing", "t");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (EventConsumer<?> consumer : consumers) {
      consumer.stop(Duration.ofSeconds(5)).await(20, TimeUnit.SECONDS);
    }
    publisher.close();
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  private EventConsumer<TestEvent> consumer(
      String topicName, Options options, EventConsumer.Handler<TestEvent> handler)
      throws Exception {
    var consumer =
        new EventConsumer<>(
            vertx,
            KafkaBroker.bootstrapServers(),
            TestEvent.TOPIC.withName(topicName),
            options,
            handler);
    consumers.add(consumer);
    consumer.start().await(30, TimeUnit.SECONDS);
    return consumer;
  }

  private RecordMetadata publish(String topic, String key, int n) throws Exception {
    return publisher
        .publish(TestEvent.TOPIC.withName(topic), key, new Ping(key, n))
        .await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("an event is consumed with its CloudEvents attributes and its offset committed")
  void roundTrip() throws Exception {
    String topic = KafkaBroker.randomTopic(TestEvent.TOPIC, 1).name();
    String group = KafkaBroker.randomGroup();
    List<Delivery<TestEvent>> seen = new CopyOnWriteArrayList<>();
    consumer(
        topic,
        Options.of(group, "c1", Ordering.PER_KEY),
        d -> {
          seen.add(d);
          return Future.succeededFuture();
        });

    RecordMetadata sent = publish(topic, "build-1", 7);

    await().atMost(DEADLINE).until(() -> seen.size() == 1);
    CloudEvent<TestEvent> event = seen.get(0).event();
    assertThat(event.data()).isEqualTo(new Ping("build-1", 7));
    assertThat(event.type()).isEqualTo("dev.slipway.test.ping");
    assertThat(event.source()).isEqualTo("/test/plumbing");
    assertThat(event.subject()).isEqualTo("build-1");
    assertThat(seen.get(0).key()).isEqualTo("build-1");
    await()
        .atMost(DEADLINE)
        .until(() -> committedOffset(group, topic, sent.partition()) == sent.offset() + 1);
  }

  @Test
  @DisplayName("a failing handler leaves its offset uncommitted and the record is delivered again")
  void commitAfterEffect() throws Exception {
    String topic = KafkaBroker.randomTopic(TestEvent.TOPIC, 1).name();
    String group = KafkaBroker.randomGroup();
    Map<Integer, AtomicInteger> attempts = new ConcurrentHashMap<>();
    Options options =
        Options.of(group, "c1", Ordering.PER_KEY)
            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
    // Record 2 fails every time in the first consumer: the effect never became durable.
    EventConsumer<TestEvent> first =
        consumer(
            topic,
            options,
            d -> {
              Ping ping = (Ping) d.event().data();
              attempts.computeIfAbsent(ping.n(), n -> new AtomicInteger()).incrementAndGet();
              return ping.n() == 2
                  ? Future.failedFuture(new IllegalStateException("redis down"))
                  : Future.succeededFuture();
            });
    publish(topic, "a", 1);
    RecordMetadata failing = publish(topic, "a", 2);
    publish(topic, "b", 3);

    await().atMost(DEADLINE).until(() -> attempts.getOrDefault(2, new AtomicInteger()).get() >= 3);
    await().atMost(DEADLINE).until(() -> attempts.containsKey(3));
    // Record 3 (another key) is done, but the commit stops at the failing record. Commits go
    // out on a timer, so wait for the one that covers record 1.
    await().atMost(DEADLINE).until(() -> committedOffset(group, topic, 0) == failing.offset());
    assertThat(attempts.get(1).get()).isEqualTo(1);

    first.stop(Duration.ofSeconds(2)).await(20, TimeUnit.SECONDS);
    consumers.remove(first);
    assertThat(committedOffset(group, topic, 0)).isEqualTo(failing.offset());

    // A new member of the group gets the record again from Kafka, and now the effect succeeds.
    List<Integer> redelivered = new CopyOnWriteArrayList<>();
    consumer(
        topic,
        options,
        d -> {
          redelivered.add(((Ping) d.event().data()).n());
          return Future.succeededFuture();
        });
    await().atMost(DEADLINE).until(() -> redelivered.contains(2));
    assertThat(redelivered).doesNotContain(1);
    await().atMost(DEADLINE).until(() -> committedOffset(group, topic, 0) == failing.offset() + 2);
  }

  @Test
  @DisplayName("a retriable failure is retried with backoff until the handler succeeds")
  void retriesUntilSuccess() throws Exception {
    String topic = KafkaBroker.randomTopic(TestEvent.TOPIC, 1).name();
    String group = KafkaBroker.randomGroup();
    List<Integer> attemptNumbers = new CopyOnWriteArrayList<>();
    consumer(
        topic,
        Options.of(group, "c1", Ordering.PER_KEY)
            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)),
        d -> {
          attemptNumbers.add(d.attempt());
          return d.attempt() < 4
              ? Future.failedFuture(new org.apache.kafka.common.errors.TimeoutException("slow"))
              : Future.succeededFuture();
        });
    RecordMetadata sent = publish(topic, "k", 1);
    await().atMost(DEADLINE).until(() -> committedOffset(group, topic, 0) == sent.offset() + 1);
    assertThat(attemptNumbers).containsExactly(1, 2, 3, 4);
  }

  @Test
  @DisplayName("records of one key run one at a time in order, other keys run alongside")
  void perKeyOrdering() throws Exception {
    String topic = KafkaBroker.randomTopic(TestEvent.TOPIC, 1).name();
    Map<String, List<Integer>> order = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> runningPerKey = new ConcurrentHashMap<>();
    AtomicInteger maxPerKey = new AtomicInteger();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    consumer(
        topic,
        Options.of(KafkaBroker.randomGroup(), "c1", Ordering.PER_KEY).withMaxInFlight(8, 64),
        d -> {
          Ping ping = (Ping) d.event().data();
          int perKey =
              runningPerKey.computeIfAbsent(ping.key(), k -> new AtomicInteger()).incrementAndGet();
          maxPerKey.accumulateAndGet(perKey, Math::max);
          maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
          Promise<Void> done = Promise.promise();
          vertx.setTimer(
              5,
              t -> {
                order.computeIfAbsent(ping.key(), k -> new CopyOnWriteArrayList<>()).add(ping.n());
                runningPerKey.get(ping.key()).decrementAndGet();
                running.decrementAndGet();
                done.complete();
              });
          return done.future();
        });
    for (int n = 0; n < 20; n++) {
      for (String key : List.of("a", "b", "c", "d")) {
        publisher.publish(TestEvent.TOPIC.withName(topic), key, new Ping(key, n));
      }
    }
    List<Integer> expected = new ArrayList<>();
    for (int n = 0; n < 20; n++) {
      expected.add(n);
    }
    await().atMost(DEADLINE).until(() -> order.values().stream().mapToInt(List::size).sum() == 80);
    assertThat(order).containsOnlyKeys("a", "b", "c", "d");
    order.values().forEach(list -> assertThat(list).isEqualTo(expected));
    assertThat(maxPerKey.get()).isEqualTo(1);
    assertThat(maxRunning.get()).isGreaterThan(1);
  }

  @Test
  @DisplayName("handlers never exceed maxInFlight and everything queued behind them completes")
  void backpressure() throws Exception {
    String topic = KafkaBroker.randomTopic(TestEvent.TOPIC, 2).name();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    List<Integer> done = Collections.synchronizedList(new ArrayList<>());
    consumer(
        topic,
        Options.of(KafkaBroker.randomGroup(), "c1", Ordering.NONE).withMaxInFlight(3, 6),
        d -> {
          maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
          Promise<Void> finished = Promise.promise();
          vertx.setTimer(
              2,
              t -> {
                running.decrementAndGet();
                done.add(((Ping) d.event().data()).n());
                finished.complete();
              });
          return finished.future();
        });
    for (int n = 0; n < 200; n++) {
      publisher.publish(TestEvent.TOPIC.withName(topic), "k" + n, new Ping("k" + n, n));
    }
    await().atMost(DEADLINE).until(() -> done.size() == 200);
    assertThat(maxRunning.get()).isBetween(2, 3);
    assertThat(done).doesNotHaveDuplicates();
  }

  @Test
  @DisplayName(
      "a handler slower than max.poll.interval.ms does not cost the consumer its partition")
  void slowWorkKeepsMembership() throws Exception {
    String topic = KafkaBroker.randomTopic(TestEvent.TOPIC, 1).name();
    String group = KafkaBroker.randomGroup();
    AtomicInteger calls = new AtomicInteger();
    Options options =
        Options.of(group, "c1", Ordering.NONE)
            .withKafka(
                Map.of(
                    ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 2000,
                    ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000,
                    ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500));
    EventConsumer<TestEvent> consumer =
        consumer(
            topic,
            options,
            d -> {
              calls.incrementAndGet();
              Promise<Void> slow = Promise.promise();
              vertx.setTimer(5000, t -> slow.complete()); // a "build" of 2.5 poll intervals
              return slow.future();
            });
    RecordMetadata sent = publish(topic, "slow", 1);
    await().atMost(DEADLINE).until(() -> committedOffset(group, topic, 0) == sent.offset() + 1);
    assertThat(calls.get()).isEqualTo(1);
    assertThat(consumer.assignment()).containsExactly(new TopicPartition(topic, 0));
  }

  @Test
  @DisplayName("a steady trickle of records costs a commit per interval, not one per record")
  void commitsAreThrottled() throws Exception {
    String topic = KafkaBroker.randomTopic(TestEvent.TOPIC, 1).name();
    String group = KafkaBroker.randomGroup();
    Options options =
        Options.of(group, "c1", Ordering.PER_KEY)
            .withKafka(
                Map.of(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, CountingCommits.class.getName()));
    AtomicInteger handled = new AtomicInteger();
    consumer(
        topic,
        options,
        d -> {
          handled.incrementAndGet();
          return Future.succeededFuture();
        });

    long start = System.nanoTime();
    RecordMetadata last = null;
    for (int i = 0; i < 100; i++) {
      // One at a time, each acknowledged: every record can wake the poll loop on its own.
      last = publish(topic, "k", i);
    }
    long lastOffset = last.offset();
    await().atMost(DEADLINE).until(() -> committedOffset(group, topic, 0) == lastOffset + 1);
    double elapsed = (System.nanoTime() - start) / (double) EventConsumer.COMMIT_INTERVAL_NANOS;

    assertThat(handled.get()).isEqualTo(100);
    assertThat(CountingCommits.count(group))
        .as("commits for 100 records over %.1f commit intervals", elapsed)
        .isLessThanOrEqualTo((int) Math.ceil(elapsed) + 2);
  }

  /** Counts each consumer group's commits, as Kafka reports them to interceptors. */
  public static final class CountingCommits
      implements org.apache.kafka.clients.consumer.ConsumerInterceptor<String, byte[]> {
    private static final Map<String, AtomicInteger> COMMITS = new ConcurrentHashMap<>();
    private String group;

    static int count(String group) {
      return COMMITS.getOrDefault(group, new AtomicInteger()).get();
    }

    @Override
    public void configure(Map<String, ?> configs) {
      group = String.valueOf(configs.get(ConsumerConfig.GROUP_ID_CONFIG));
    }

    @Override
    public org.apache.kafka.clients.consumer.ConsumerRecords<String, byte[]> onConsume(
        org.apache.kafka.clients.consumer.ConsumerRecords<String, byte[]> records) {
      return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
      COMMITS.computeIfAbsent(group, g -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void close() {}
  }

  private static long committedOffset(String group, String topic, int partition) {
    OffsetAndMetadata offset =
        KafkaBroker.committed(group).get(new TopicPartition(topic, partition));
    return offset == null ? -1 : offset.offset();
  }
}
