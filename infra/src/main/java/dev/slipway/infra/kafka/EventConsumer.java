package dev.slipway.infra.kafka;

import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.EventDecodingException;
import dev.slipway.infra.events.SlipwayEvent;
import dev.slipway.infra.events.Topic;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one topic in a consumer group and hands each event to a handler that returns a Future;
 * an offset is committed only once the handlers of it and of every record before it in its
 * partition have succeeded (at-least-once: handlers must be idempotent).
 *
 * <p>The poll loop runs on its own virtual thread, never on an event loop; handlers run on the
 * Vert.x context that called {@link #start()}. A failed handler is retried with exponential backoff
 * on a Vert.x timer, its offset staying uncommitted until it succeeds, so a crash meanwhile gets
 * the record delivered again. Records wait in memory while the handlers are busy; past {@code
 * maxBuffered} the loop pauses its partitions but keeps polling, so work that lasts minutes neither
 * piles up nor costs the consumer its group membership.
 */
public final class EventConsumer<T extends SlipwayEvent> {

  private static final Logger log = LoggerFactory.getLogger(EventConsumer.class);
  private static final Duration POLL = Duration.ofMillis(100);

  /**
   * Offsets are committed at most this often while running (and always on revoke and stop): a
   * chatty topic would otherwise cost the group coordinator a write per handled record, and a crash
   * replays at most this much more, which idempotent handlers absorb.
   */
  static final long COMMIT_INTERVAL_NANOS = Duration.ofMillis(200).toNanos();

  /** Handles one delivery; the Future's success is what lets the offset be committed. */
  @FunctionalInterface
  public interface Handler<T extends SlipwayEvent> {
    Future<?> handle(Delivery<T> delivery);
  }

  /**
   * One record as the handler sees it.
   *
   * @param event the decoded event, {@code null} for a tombstone on a compacted topic
   * @param attempt 1 on first delivery to this process, then counting retries
   */
  public record Delivery<T extends SlipwayEvent>(
      String topic, int partition, long offset, String key, CloudEvent<T> event, int attempt) {}

  /** Which deliveries may run at the same time. */
  public enum Ordering {
    /** One at a time per record key, keys in parallel: per-build and per-app ordering. */
    PER_KEY,
    /** Any records in parallel, up to {@code maxInFlight}. */
    NONE
  }

  /**
   * @param groupId the consumer group; instances with the same group share the partitions
   * @param maxInFlight handler calls running at once in this instance
   * @param maxBuffered records held in memory (running or waiting) before partitions are paused
   */
  public record Options(
      String groupId,
      String clientId,
      Ordering ordering,
      int maxInFlight,
      int maxBuffered,
      Duration initialBackoff,
      Duration maxBackoff,
      Map<String, Object> kafkaOverrides) {

    public Options {
      kafkaOverrides = Map.copyOf(kafkaOverrides);
      Objects.requireNonNull(groupId, "groupId");
      if (maxInFlight < 1 || maxBuffered < maxInFlight) {
        throw new IllegalArgumentException("need 1 <= maxInFlight <= maxBuffered");
      }
    }

    public static Options of(String groupId, String clientId, Ordering ordering) {
      return new Options(
          groupId,
          clientId,
          ordering,
          16,
          256,
          Duration.ofMillis(100),
          Duration.ofSeconds(30),
          Map.of());
    }

    public Options withMaxInFlight(int maxInFlight, int maxBuffered) {
      return new Options(
          groupId,
          clientId,
          ordering,
          maxInFlight,
          maxBuffered,
          initialBackoff,
          maxBackoff,
          kafkaOverrides);
    }

    public Options withBackoff(Duration initial, Duration max) {
      return new Options(
          groupId, clientId, ordering, maxInFlight, maxBuffered, initial, max, kafkaOverrides);
    }

    /** Raw Kafka consumer settings on top of Slipway's, e.g. {@code max.poll.interval.ms}. */
    public Options withKafka(Map<String, Object> overrides) {
      return new Options(
          groupId,
          clientId,
          ordering,
          maxInFlight,
          maxBuffered,
          initialBackoff,
          maxBackoff,
          overrides);
    }
  }

  private final Vertx vertx;
  private final Topic<T> topic;
  private final Options options;
  private final Handler<T> handler;
  private final Consumer<String, byte[]> consumer;

  // Scheduling state, shared by the poll thread and handler completions; guarded by lock.
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
  private final Map<String, ArrayDeque<Pending>> busyKeys = new HashMap<>();
  private final ArrayDeque<Pending> ready = new ArrayDeque<>();
  private int running;
  private int buffered;

  private final Promise<Void> started = Promise.promise();
  private final Promise<Void> stopped = Promise.promise();
  private volatile boolean stopping;
  private volatile Duration stopTimeout = Duration.ofSeconds(30);
  private Context context;
  private Thread pollThread;

  public EventConsumer(
      Vertx vertx, String bootstrapServers, Topic<T> topic, Options options, Handler<T> handler) {
    this.vertx = vertx;
    this.topic = topic;
    this.options = options;
    this.handler = handler;
    Map<String, Object> config =
        new HashMap<>(
            KafkaClients.consumer(bootstrapServers, options.groupId(), options.clientId()));
    config.putAll(options.kafkaOverrides());
    this.consumer = new KafkaConsumer<>(config);
  }

  /** Subscribes and completes once the group has given this consumer its first assignment. */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    pollThread = Thread.ofVirtual().name("slipway-consume-" + topic.name()).start(this::pollLoop);
    return started.future();
  }

  /**
   * Stops fetching, lets running handlers finish (up to {@code timeout}), commits what is done and
   * leaves the group; what did not finish is delivered again to whoever takes the partition.
   */
  public Future<Void> stop(Duration timeout) {
    stopTimeout = timeout;
    stopping = true;
    consumer.wakeup();
    return stopped.future();
  }

  /** Partitions this instance holds now. */
  public Set<TopicPartition> assignment() {
    lock.lock();
    try {
      return Set.copyOf(partitions.keySet());
    } finally {
      lock.unlock();
    }
  }

  private void pollLoop() {
    try {
      consumer.subscribe(List.of(topic.name()), new Rebalance());
      boolean paused = false;
      long lastCommit = System.nanoTime();
      while (!stopping) {
        ConsumerRecords<String, byte[]> records;
        try {
          records = consumer.poll(POLL);
        } catch (WakeupException e) {
          continue;
        }
        lock.lock();
        try {
          for (ConsumerRecord<String, byte[]> record : records) {
            accept(record);
          }
          dispatchReady();
        } finally {
          lock.unlock();
        }
        paused = applyBackpressure(paused);
        if (System.nanoTime() - lastCommit >= COMMIT_INTERVAL_NANOS) {
          commitDone(false);
          lastCommit = System.nanoTime();
        }
      }
      drain();
    } catch (Throwable e) {
      log.error("consumer loop failed topic={} group={}", topic.name(), options.groupId(), e);
      context.runOnContext(v -> started.tryFail(e));
    } finally {
      try {
        consumer.close(Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        log.warn("consumer close failed topic={}", topic.name(), e);
      }
      context.runOnContext(
          v -> {
            started.tryFail("consumer stopped before it was assigned partitions");
            stopped.tryComplete();
          });
    }
  }

  /** Waits for running handlers (bounded), then commits. Runs on the poll thread. */
  private void drain() {
    long deadline = System.nanoTime() + stopTimeout.toNanos();
    consumer.pause(consumer.assignment());
    while (System.nanoTime() < deadline) {
      lock.lock();
      try {
        ready.clear();
        busyKeys.values().forEach(ArrayDeque::clear);
        if (running == 0) {
          break;
        }
      } finally {
        lock.unlock();
      }
      try {
        // Keeps the group membership alive while the last handlers finish.
        consumer.poll(POLL);
      } catch (WakeupException e) {
        // stop() woke us; keep waiting for the handlers
      }
    }
    commitDone(true);
  }

  private boolean applyBackpressure(boolean paused) {
    int held;
    lock.lock();
    try {
      held = buffered;
    } finally {
      lock.unlock();
    }
    if (!paused && held >= options.maxBuffered()) {
      consumer.pause(consumer.assignment());
      log.debug("paused topic={} buffered={}", topic.name(), held);
      return true;
    }
    if (paused && held <= options.maxBuffered() / 2) {
      consumer.resume(consumer.paused());
      log.debug("resumed topic={} buffered={}", topic.name(), held);
      return false;
    }
    return paused;
  }

  private void commitDone(boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    lock.lock();
    try {
      partitions.forEach(
          (tp, state) -> {
            long next = state.committable();
            if (next > state.committed) {
              offsets.put(tp, new OffsetAndMetadata(next));
              state.committed = next;
            }
          });
    } finally {
      lock.unlock();
    }
    if (offsets.isEmpty()) {
      return;
    }
    if (sync) {
      consumer.commitSync(offsets, Duration.ofSeconds(10));
    } else {
      consumer.commitAsync(
          offsets,
          (committed, error) -> {
            if (error != null) {
              // The next commit carries the same or a later offset; nothing is lost.
              log.warn("commit failed topic={} offsets={}", topic.name(), offsets, error);
              rewindCommitted(offsets);
            }
          });
    }
  }

  private void rewindCommitted(Map<TopicPartition, OffsetAndMetadata> failed) {
    lock.lock();
    try {
      failed.forEach(
          (tp, offset) -> {
            PartitionState state = partitions.get(tp);
            if (state != null && state.committed == offset.offset()) {
              state.committed = -1;
            }
          });
    } finally {
      lock.unlock();
    }
  }

  // ---- scheduling (caller holds lock) ----

  private void accept(ConsumerRecord<String, byte[]> record) {
    PartitionState state = partitions.get(new TopicPartition(record.topic(), record.partition()));
    if (state == null) {
      return; // revoked while polling
    }
    state.fetched = record.offset() + 1;
    CloudEvent<T> event;
    try {
      event = CloudEventCodec.decode(topic, record);
    } catch (EventDecodingException e) {
      // A newer producer's event type, or garbage: this version cannot act on it, and holding
      // the partition back for it would stop everything behind it.
      log.warn("skipping record topic={} reason={}", topic.name(), e.getMessage());
      return;
    }
    Pending pending = new Pending(state, record, event);
    state.open.add(record.offset());
    buffered++;
    String key = record.key();
    if (options.ordering() == Ordering.PER_KEY && key != null) {
      ArrayDeque<Pending> waiting = busyKeys.get(key);
      if (waiting != null) {
        waiting.add(pending);
        return;
      }
      busyKeys.put(key, new ArrayDeque<>());
    }
    ready.add(pending);
  }

  private void dispatchReady() {
    while (running < options.maxInFlight() && !ready.isEmpty()) {
      Pending pending = ready.poll();
      running++;
      context.runOnContext(v -> attempt(pending, 1));
    }
  }

  /**
   * Frees the record's slot and its key. A record whose handler did not succeed stays open, so its
   * offset is never committed by this instance.
   */
  private void finished(Pending pending, boolean succeeded) {
    if (succeeded) {
      pending.state.open.remove(pending.record.offset());
    }
    running--;
    buffered--;
    String key = pending.record.key();
    if (options.ordering() == Ordering.PER_KEY && key != null) {
      ArrayDeque<Pending> waiting = busyKeys.get(key);
      Pending next = waiting == null ? null : waiting.poll();
      if (next != null) {
        ready.addFirst(next);
      } else {
        busyKeys.remove(key);
      }
    }
    dispatchReady();
  }

  // ---- handler calls (on the Vert.x context) ----

  private void attempt(Pending pending, int attempt) {
    ConsumerRecord<String, byte[]> record = pending.record;
    Delivery<T> delivery =
        new Delivery<>(
            record.topic(),
            record.partition(),
            record.offset(),
            record.key(),
            pending.event,
            attempt);
    Future<?> result;
    try {
      result = Objects.requireNonNull(handler.handle(delivery), "handler returned null");
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(
        ar -> {
          if (ar.succeeded() || pending.state.revoked || stopping) {
            if (ar.failed()) {
              log.warn(
                  "giving up record for now topic={} partition={} offset={} key={} reason={}",
                  record.topic(),
                  record.partition(),
                  record.offset(),
                  record.key(),
                  stopping ? "stopping" : "partition revoked");
            }
            lock.lock();
            try {
              finished(pending, ar.succeeded());
            } finally {
              lock.unlock();
            }
            return;
          }
          long delay = backoff(attempt);
          log.warn(
              "handler failed, retrying topic={} partition={} offset={} key={} attempt={}"
                  + " retriable={} retryInMs={} error={}",
              record.topic(),
              record.partition(),
              record.offset(),
              record.key(),
              attempt,
              ar.cause() instanceof RetriableException,
              delay,
              String.valueOf(ar.cause()));
          vertx.setTimer(delay, t -> attempt(pending, attempt + 1));
        });
  }

  private long backoff(int attempt) {
    long initial = options.initialBackoff().toMillis();
    long max = options.maxBackoff().toMillis();
    long exponential = initial << Math.min(attempt - 1, 20);
    long capped = Math.min(max, exponential);
    // Jitter keeps many consumers failing on the same outage from retrying in lockstep.
    return capped / 2 + (long) (Math.random() * (capped / 2 + 1));
  }

  // ---- rebalances (on the poll thread, inside poll) ----

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      commitDone(true);
      forget(revoked);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      forget(lost);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      lock.lock();
      try {
        for (TopicPartition tp : assigned) {
          long position = consumer.position(tp, Duration.ofSeconds(30));
          partitions.put(tp, new PartitionState(position));
        }
      } finally {
        lock.unlock();
      }
      log.info(
          "assigned topic={} group={} partitions={}",
          topic.name(),
          options.groupId(),
          assigned.stream().map(TopicPartition::partition).sorted().toList());
      context.runOnContext(v -> started.tryComplete());
    }

    private void forget(Collection<TopicPartition> gone) {
      lock.lock();
      try {
        for (TopicPartition tp : gone) {
          PartitionState state = partitions.remove(tp);
          if (state != null) {
            state.revoked = true;
          }
        }
        busyKeys.values().forEach(q -> q.removeIf(p -> p.state.revoked && dropBuffered()));
        // A record waiting in ready holds its key's turn without running: give the turn back.
        ready.removeIf(
            p -> {
              if (!p.state.revoked) {
                return false;
              }
              buffered--;
              if (p.record.key() != null) {
                busyKeys.remove(p.record.key());
              }
              return true;
            });
      } finally {
        lock.unlock();
      }
    }

    private boolean dropBuffered() {
      buffered--;
      return true;
    }
  }

  /** Offsets of one assigned partition: what was fetched and what is still open. */
  private static final class PartitionState {
    final TreeSet<Long> open = new TreeSet<>();
    long fetched;
    long committed = -1;
    volatile boolean revoked;

    PartitionState(long position) {
      this.fetched = position;
    }

    /** The offset to commit: the first record not yet handled, or past everything fetched. */
    long committable() {
      return open.isEmpty() ? fetched : open.first();
    }
  }

  /** A record held in memory until its handler succeeds. */
  private final class Pending {
    final PartitionState state;
    final ConsumerRecord<String, byte[]> record;
    final CloudEvent<T> event;

    Pending(PartitionState state, ConsumerRecord<String, byte[]> record, CloudEvent<T> event) {
      this.state = state;
      this.record = record;
      this.event = event;
    }
  }
}
