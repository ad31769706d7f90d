package dev.slipway.infra.secrets;

import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.EventDecodingException;
import dev.slipway.infra.events.RegistryCredentialEvent;
import dev.slipway.infra.events.RegistryCredentialEvent.RegistryCredentialStored;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.kafka.EventPublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry credentials of the installation, read from the compacted credentials topic into
 * memory. The topic is the only store: every process that needs credentials (gateway, builder,
 * deployer) keeps its own copy, reading the topic from the beginning and then following it.
 *
 * <p>It reads with a plain {@code assign()} consumer (no group, nothing committed) on a virtual
 * thread: every instance must see every credential, and a restart simply reads the topic again.
 * Secrets stay sealed in memory and are opened only by {@link #get(String)}.
 *
 * <p>{@link #put} and {@link #delete} publish and complete once this store has read their own
 * record back, so a list right after a put shows it.
 */
public final class CredentialStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CredentialStore.class);
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration POLL = Duration.ofMillis(200);

  /** A credential as the builder or deployer uses it; {@link #toString()} hides the secret. */
  public record Credential(String registry, String username, String secret) {
    @Override
    public String toString() {
      return "Credential[registry=" + registry + ", username=" + username + ", secret=***]";
    }
  }

  /** What may be shown about a credential: everything but the secret. */
  public record Summary(String name, String registry, String username, Instant updatedAt) {}

  private final Vertx vertx;
  private final Topic<RegistryCredentialEvent> topic;
  private final SecretBox box;
  private final EventPublisher publisher;
  private final Map<String, Object> consumerProps;
  private final Map<String, RegistryCredentialStored> credentials = new ConcurrentHashMap<>();
  private final Object positionsLock = new Object();
  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private volatile boolean running;
  private volatile Consumer<String, byte[]> consumer;
  private Thread thread;

  private record Waiter(
      TopicPartition partition, long offset, Context context, Promise<Void> done) {}

  /**
   * @param topic the compacted credentials topic
   * @param publisher publishes this store's writes; may be {@code null} for a read-only store
   * @param clientId the Kafka client id of the reader
   */
  public CredentialStore(
      Vertx vertx,
      String bootstrapServers,
      Topic<RegistryCredentialEvent> topic,
      SecretBox box,
      EventPublisher publisher,
      String clientId) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.topic = Objects.requireNonNull(topic, "topic");
    this.box = Objects.requireNonNull(box, "box");
    this.publisher = publisher;
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    this.consumerProps = props;
  }

  /** Reads the topic from the beginning; completes once caught up with its end offsets. */
  public synchronized Future<Void> start() {
    if (running) {
      return Future.failedFuture(new IllegalStateException("already started"));
    }
    running = true;
    Context context = vertx.getOrCreateContext();
    Promise<Void> started = Promise.promise();
    thread =
        Thread.ofVirtual()
            .name("slipway-credentials-" + topic.name())
            .start(() -> run(context, started));
    return started.future();
  }

  private void run(Context context, Promise<Void> started) {
    boolean caughtUp = false;
    try (Consumer<String, byte[]> c = new KafkaConsumer<>(consumerProps)) {
      consumer = c;
      List<PartitionInfo> infos = c.partitionsFor(topic.name(), Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic.name() + " does not exist");
      }
      List<TopicPartition> partitions =
          infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = c.endOffsets(partitions, Duration.ofSeconds(30));
      while (running) {
        try {
          for (ConsumerRecord<String, byte[]> record : c.poll(POLL)) {
            apply(record);
          }
          Map<TopicPartition, Long> now = new HashMap<>();
          for (TopicPartition tp : partitions) {
            now.put(tp, c.position(tp, Duration.ofSeconds(10)));
          }
          seen(now);
          if (!caughtUp && partitions.stream().allMatch(tp -> now.get(tp) >= end.get(tp))) {
            caughtUp = true;
            log.info("credentials loaded topic={} count={}", topic.name(), credentials.size());
            context.runOnContext(v -> started.tryComplete());
          }
        } catch (WakeupException e) {
          // close() wakes the poll; the loop condition ends it.
        } catch (RuntimeException e) {
          if (!caughtUp) {
            throw e;
          }
          log.warn("credentials read failed topic={} error=\"{}\"", topic.name(), e.toString());
          pause();
        }
      }
    } catch (RuntimeException e) {
      log.error("credentials reader stopped topic={} error=\"{}\"", topic.name(), e.toString());
      context.runOnContext(v -> started.tryFail(e));
    } finally {
      consumer = null;
      failWaiters(new IllegalStateException("credential store stopped"));
    }
  }

  // Backoff after a failed poll; the reader's own virtual thread, nobody waits on it.
  private void pause() {
    try {
      TimeUnit.SECONDS.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    String name = record.key();
    if (name == null) {
      log.warn("credential without a key skipped offset={}", record.offset());
      return;
    }
    CloudEvent<RegistryCredentialEvent> event;
    try {
      event = CloudEventCodec.decode(topic, record);
    } catch (EventDecodingException e) {
      log.warn(
          "credential record skipped name={} offset={} error=\"{}\"",
          name,
          record.offset(),
          e.getMessage());
      return;
    }
    if (event == null) {
      credentials.remove(name);
    } else if (event.data() instanceof RegistryCredentialStored stored) {
      credentials.put(name, stored);
    }
  }

  private void seen(Map<TopicPartition, Long> now) {
    List<Waiter> done = new ArrayList<>();
    synchronized (positionsLock) {
      positions.putAll(now);
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (positions.getOrDefault(w.partition, -1L) > w.offset) {
          done.add(w);
          it.remove();
        }
      }
    }
    done.forEach(w -> w.context.runOnContext(v -> w.done.tryComplete()));
  }

  private void failWaiters(Throwable cause) {
    List<Waiter> failed;
    synchronized (positionsLock) {
      failed = new ArrayList<>(waiters);
      waiters.clear();
    }
    failed.forEach(w -> w.context.runOnContext(v -> w.done.tryFail(cause)));
  }

  // Completes once the reader's position on the record's partition has passed the record.
  private Future<Void> awaitSeen(RecordMetadata metadata) {
    TopicPartition tp = new TopicPartition(metadata.topic(), metadata.partition());
    Promise<Void> done = Promise.promise();
    synchronized (positionsLock) {
      if (positions.getOrDefault(tp, -1L) > metadata.offset()) {
        done.complete();
      } else {
        waiters.add(new Waiter(tp, metadata.offset(), vertx.getOrCreateContext(), done));
      }
    }
    return done.future();
  }

  /** Credential names, sorted. */
  public Set<String> names() {
    return new TreeSet<>(credentials.keySet());
  }

  /** Every credential without its secret, sorted by name. */
  public List<Summary> list() {
    return credentials.values().stream()
        .map(c -> new Summary(c.name(), c.registry(), c.username(), c.at()))
        .sorted(Comparator.comparing(Summary::name))
        .toList();
  }

  public boolean contains(String name) {
    return credentials.containsKey(name);
  }

  /**
   * The credential with its secret opened, for a push or pull; empty when there is none by that
   * name.
   *
   * @throws SecretBox.SecretException when this process's key cannot open it
   */
  public Optional<Credential> get(String name) {
    RegistryCredentialStored stored = credentials.get(name);
    if (stored == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Credential(stored.registry(), stored.username(), box.open(stored.secretCiphertext())));
  }

  /**
   * Seals {@code secret} and publishes the credential; completes with {@code true} when it is new,
   * {@code false} when it replaced one, once this store has read it back.
   */
  public Future<Boolean> put(String name, String registry, String username, String secret) {
    Optional<Future<Boolean>> refused = refuseWrite();
    if (refused.isPresent()) {
      return refused.get();
    }
    boolean created = !credentials.containsKey(name);
    RegistryCredentialStored stored =
        new RegistryCredentialStored(
            name, registry, username, box.seal(secret), box.keyId(), Instant.now());
    return publisher
        .publish(topic, name, stored)
        .compose(this::awaitSeen)
        .timeout(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(created);
  }

  /**
   * Publishes a tombstone for {@code name}; completes with {@code false} when there was no such
   * credential (nothing is published then), {@code true} once this store has read the tombstone.
   */
  public Future<Boolean> delete(String name) {
    Optional<Future<Boolean>> refused = refuseWrite();
    if (refused.isPresent()) {
      return refused.get();
    }
    if (!credentials.containsKey(name)) {
      return Future.succeededFuture(false);
    }
    return publisher
        .tombstone(topic, name)
        .compose(this::awaitSeen)
        .timeout(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(true);
  }

  private Optional<Future<Boolean>> refuseWrite() {
    if (publisher == null) {
      return Optional.of(
          Future.failedFuture(new IllegalStateException("this credential store is read-only")));
    }
    if (!running) {
      return Optional.of(
          Future.failedFuture(new IllegalStateException("credential store is not running")));
    }
    return Optional.empty();
  }

  /** Stops the reader and waits (bounded) for its thread to end. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    Consumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (t != null) {
      try {
        t.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
