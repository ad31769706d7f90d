package dev.slipway.reconciler.containers;

import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.reconciler.containers.ContainerSnapshot.PublishedPort;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Small fakes of the reconciler's ports, for unit tests of its logic. */
final class Fakes {

  private Fakes() {}

  static ContainerSnapshot managed(String id, String app, String state) {
    Map<String, String> labels = new HashMap<>();
    labels.put(Labels.MANAGED, Labels.TRUE);
    labels.put(Labels.APP, app);
    labels.put(Labels.ROLE, "web");
    labels.put(Labels.COLOR, "blue");
    labels.put(Labels.REVISION, "1");
    labels.put(Labels.DEPLOYMENT, "d-1");
    return snapshot(id, labels, state, "none");
  }

  static ContainerSnapshot snapshot(
      String id, Map<String, String> labels, String state, String health) {
    boolean running = "running".equals(state);
    return new ContainerSnapshot(
        id,
        "slipway-" + id,
        labels,
        "web:1",
        "sha256:" + "a".repeat(64),
        state,
        health,
        running ? List.of(new PublishedPort(8080, "tcp", "127.0.0.1", 49153)) : List.of(),
        Instant.parse("2026-01-01T00:00:00Z"),
        running ? null : Instant.parse("2026-01-01T00:01:00Z"),
        running ? null : 0L,
        0);
  }

  static ContainerSnapshot withState(ContainerSnapshot c, String state, String health) {
    return snapshot(c.id(), c.labels(), state, health);
  }

  /** An engine whose containers, events and failures the test sets. */
  static final class Engine implements DockerEngine {
    final Map<String, ContainerSnapshot> containers = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> inspections = new ConcurrentHashMap<>();
    final Set<String> failing = ConcurrentHashMap.newKeySet();
    final List<Instant> subscribedSince = new CopyOnWriteArrayList<>();
    final List<Instant> listedAt = new CopyOnWriteArrayList<>();
    volatile Listener listener;
    volatile boolean down;
    volatile CountDownLatch holdInspect;

    void put(ContainerSnapshot c) {
      containers.put(c.id(), c);
    }

    int inspections(String id) {
      AtomicInteger n = inspections.get(id);
      return n == null ? 0 : n.get();
    }

    void emit(String id, String action) {
      listener.event(new EngineEvent(id, action, Instant.now()));
    }

    /** The engine drops the stream, as on a restart. */
    void dropStream(Throwable error) {
      Listener l = listener;
      listener = null;
      l.closed(error);
    }

    @Override
    public List<String> listManaged() {
      requireUp();
      listedAt.add(Instant.now());
      return containers.values().stream()
          .filter(ContainerSnapshot::managed)
          .map(ContainerSnapshot::id)
          .toList();
    }

    @Override
    public Optional<ContainerSnapshot> inspect(String id) {
      requireUp();
      inspections.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      CountDownLatch hold = holdInspect;
      if (hold != null) {
        try {
          hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (failing.contains(id)) {
        throw new IllegalStateException("inspect of " + id + " failed");
      }
      return Optional.ofNullable(containers.get(id));
    }

    @Override
    public Subscription events(Instant since, Listener l) {
      requireUp();
      subscribedSince.add(since);
      listener = l;
      return () -> {
        if (listener == l) {
          listener = null;
        }
      };
    }

    @Override
    public void ping() {
      requireUp();
    }

    private void requireUp() {
      if (down) {
        throw new IllegalStateException("engine down");
      }
    }
  }

  /** The projection in memory, with its change feed. */
  static final class Store implements ContainerStore {
    final Map<String, ContainerEntry> entries = new ConcurrentHashMap<>();
    final List<Map<String, String>> feed = new CopyOnWriteArrayList<>();
    final AtomicInteger writes = new AtomicInteger();

    @Override
    public Future<ContainerEntry> read(String id) {
      return Future.succeededFuture(entries.get(id));
    }

    @Override
    public Future<Set<String>> ids() {
      return Future.succeededFuture(new HashSet<>(entries.keySet()));
    }

    @Override
    public Future<Void> write(ContainerEntry entry, List<Map<String, String>> feedEntries) {
      writes.incrementAndGet();
      entries.put(entry.id(), entry);
      feed.addAll(feedEntries);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> remove(String id) {
      entries.remove(id);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> appendFeed(List<Map<String, String>> feedEntries) {
      feed.addAll(feedEntries);
      return Future.succeededFuture();
    }
  }

  /** Desired states the test writes, as the deployer would. */
  static final class Desired implements DesiredStates {
    final Map<String, AppState> apps = new LinkedHashMap<>();

    void put(AppState app) {
      apps.put(app.name(), app);
    }

    @Override
    public Future<Set<String>> apps() {
      return Future.succeededFuture(new HashSet<>(apps.keySet()));
    }

    @Override
    public Future<AppState> app(String name) {
      return Future.succeededFuture(apps.get(name));
    }
  }

  /** Records what would go to Kafka. */
  static final class Sink implements ContainerEventSink {
    final List<ContainerEvent> events = new CopyOnWriteArrayList<>();
    final List<ReconcileRequested> commands = new CopyOnWriteArrayList<>();
    volatile boolean failing;

    @Override
    public Future<Void> publish(ContainerEvent event) {
      if (failing) {
        return Future.failedFuture(new IllegalStateException("kafka down"));
      }
      events.add(event);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> requestReconcile(ReconcileRequested command) {
      if (failing) {
        return Future.failedFuture(new IllegalStateException("kafka down"));
      }
      commands.add(command);
      return Future.succeededFuture();
    }

    <T extends ContainerEvent> List<T> of(Class<T> type) {
      List<T> matching = new ArrayList<>();
      for (ContainerEvent e : events) {
        if (type.isInstance(e)) {
          matching.add(type.cast(e));
        }
      }
      return matching;
    }
  }
}
