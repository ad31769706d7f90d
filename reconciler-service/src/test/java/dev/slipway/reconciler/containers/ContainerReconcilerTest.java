package dev.slipway.reconciler.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.infra.events.ContainerEvent.ContainerHealthChanged;
import dev.slipway.infra.events.ContainerEvent.ContainerMissing;
import dev.slipway.infra.events.ContainerEvent.ContainerStateChanged;
import dev.slipway.infra.events.ContainerEvent.DriftDetected;
import dev.slipway.infra.events.DriftKind;
import dev.slipway.infra.redis.ContainerHash;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The container reconciler, against a fake engine")
class ContainerReconcilerTest {

  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private Vertx vertx;
  private final Fakes.Engine engine = new Fakes.Engine();
  private final Fakes.Store store = new Fakes.Store();
  private final Fakes.Desired desired = new Fakes.Desired();
  private final Fakes.Sink sink = new Fakes.Sink();
  private String deployment;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private void start(Duration resync, Duration retention) throws Exception {
    ContainerReconcilerConfig config =
        ContainerReconcilerConfig.defaults()
            .withIntervals(resync, retention)
            .withReconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
    deployment =
        vertx
            .deployVerticle(new ContainerReconciler(engine, store, desired, sink, config))
            .await(10, TimeUnit.SECONDS);
  }

  private void startSlowResync() throws Exception {
    start(Duration.ofHours(1), Duration.ofMinutes(10));
  }

  private String state(String id) {
    ContainerEntry entry = store.entries.get(id);
    return entry == null ? null : entry.state();
  }

  @Test
  @DisplayName("boot writes every managed container, then follows events from before the list")
  void boot() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    engine.put(Fakes.managed("c2", "shop", "exited"));
    Instant before = Instant.now();

    startSlowResync();

    assertThat(store.entries.keySet()).containsExactlyInAnyOrder("c1", "c2");
    assertThat(state("c1")).isEqualTo("running");
    assertThat(state("c2")).isEqualTo("exited");
    assertThat(engine.subscribedSince).hasSize(1);
    assertThat(engine.subscribedSince.get(0))
        .isAfterOrEqualTo(before)
        .isBeforeOrEqualTo(engine.listedAt.get(0));
    assertThat(sink.of(ContainerStateChanged.class))
        .extracting(ContainerStateChanged::containerId)
        .containsExactlyInAnyOrder("c1", "c2");
  }

  @Test
  @DisplayName("a container without Slipway's label is never projected, even when asked about")
  void unmanaged() throws Exception {
    engine.put(Fakes.snapshot("other", Map.of("vendor", "x"), "running", "none"));
    engine.put(Fakes.managed("c1", "shop", "running"));
    startSlowResync();

    engine.emit("other", "start");
    engine.emit("c1", "die");

    await().atMost(DEADLINE).until(() -> engine.inspections("c1") == 2);
    await().atMost(DEADLINE).until(() -> engine.inspections("other") == 1);
    assertThat(store.entries).doesNotContainKey("other");
    assertThat(sink.events).noneMatch(e -> e.key().equals("other"));
  }

  @Test
  @DisplayName("an event makes the worker re-read the container and write its new state")
  void eventReinspects() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    startSlowResync();

    engine.put(Fakes.withState(engine.containers.get("c1"), "exited", "none"));
    engine.emit("c1", "die");

    await().atMost(DEADLINE).until(() -> "exited".equals(state("c1")));
    assertThat(store.entries.get("c1").lastEvent()).isEqualTo("die");
    assertThat(sink.of(ContainerStateChanged.class))
        .extracting(ContainerStateChanged::state, ContainerStateChanged::previousState)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("running", null),
            org.assertj.core.groups.Tuple.tuple("exited", "running"));
    // The fake store appends the feed just after it puts the entry, on the reconciler's thread.
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(store.feed)
                    .last()
                    .satisfies(
                        f -> assertThat(f).containsEntry(ContainerHash.Feed.STATE, "exited")));
  }

  @Test
  @DisplayName("health-check exec events are ignored, a health status event is a change")
  void healthNoise() throws Exception {
    engine.put(Fakes.withState(Fakes.managed("c1", "shop", "running"), "running", "starting"));
    startSlowResync();
    int afterBoot = engine.inspections("c1");

    engine.emit("c1", "exec_create: /bin/sh -c test -f /tmp/ok");
    engine.emit("c1", "exec_start: /bin/sh -c test -f /tmp/ok");
    engine.emit("c1", "exec_die");
    engine.put(Fakes.withState(engine.containers.get("c1"), "running", "healthy"));
    engine.emit("c1", "health_status: healthy");

    await().atMost(DEADLINE).until(() -> "healthy".equals(store.entries.get("c1").health()));
    assertThat(engine.inspections("c1")).isEqualTo(afterBoot + 1);
    assertThat(sink.of(ContainerHealthChanged.class))
        .extracting(ContainerHealthChanged::health)
        .containsExactly("starting", "healthy");
    assertThat(store.entries.get("c1").lastEvent()).isEqualTo("health_status: healthy");
  }

  @Test
  @DisplayName("a burst of events for one container coalesces into one more inspection")
  void burstCoalesces() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    startSlowResync();
    engine.holdInspect = new CountDownLatch(1);

    engine.emit("c1", "kill"); // a signal alone: no pass
    engine.emit("c1", "pause");
    await().atMost(DEADLINE).until(() -> engine.inspections("c1") == 2);
    for (int i = 0; i < 20; i++) {
      engine.emit("c1", i % 2 == 0 ? "die" : "stop");
    }
    engine.put(Fakes.withState(engine.containers.get("c1"), "exited", "none"));
    engine.holdInspect.countDown();

    await().atMost(DEADLINE).until(() -> "exited".equals(state("c1")));
    await().atMost(DEADLINE).until(() -> engine.inspections("c1") == 3);
    // The third pass counts its inspection before it writes: wait for its write.
    await().atMost(DEADLINE).until(() -> "stop".equals(store.entries.get("c1").lastEvent()));
    assertThat(sink.of(ContainerStateChanged.class))
        .extracting(ContainerStateChanged::state)
        .containsExactly("running", "exited");
  }

  @Test
  @DisplayName("a container gone is marked missing with a time, then removed after the retention")
  void missingThenRemoved() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    start(Duration.ofMillis(100), Duration.ofMillis(600));

    engine.containers.remove("c1");
    Instant removedAt = Instant.now();

    await().atMost(DEADLINE).until(() -> ContainerHash.MISSING.equals(state("c1")));
    ContainerEntry missing = store.entries.get("c1");
    assertThat(missing.missingSince()).isAfterOrEqualTo(removedAt);
    assertThat(sink.of(ContainerMissing.class))
        .singleElement()
        .satisfies(m -> assertThat(m.app()).isEqualTo("shop"));
    assertThat(sink.of(ContainerStateChanged.class))
        .last()
        .satisfies(
            e -> {
              assertThat(e.state()).isEqualTo("missing");
              assertThat(e.previousState()).isEqualTo("running");
            });

    await().atMost(DEADLINE).until(() -> !store.entries.containsKey("c1"));
    assertThat(Duration.between(missing.missingSince(), Instant.now()))
        .isGreaterThanOrEqualTo(Duration.ofMillis(600));
    assertThat(sink.of(ContainerMissing.class)).hasSize(1);
  }

  @Test
  @DisplayName("an entry announced for a deploy in flight without a container yet is left alone")
  void deployInFlightPlaceholder() throws Exception {
    store.entries.put(
        "planned",
        new ContainerEntry(
            "planned", null, "shop", null, null, null, "d-2", "web:2", null, null, null, null, null,
            null, null, null, null, null, null, null));
    desired.put(new AppState("shop", "web:2", null, null, false, true));
    start(Duration.ofMillis(100), Duration.ofMinutes(10));

    await().atMost(DEADLINE).until(() -> engine.inspections("planned") >= 3);
    assertThat(state("planned")).isNull();

    desired.put(new AppState("shop", "web:2", null, null, false, false));
    await().atMost(DEADLINE).until(() -> ContainerHash.MISSING.equals(state("planned")));
  }

  @Test
  @DisplayName("one container that cannot be inspected does not stop the others, and is retried")
  void failureIsolated() throws Exception {
    engine.put(Fakes.managed("bad", "shop", "running"));
    engine.put(Fakes.managed("good", "shop", "running"));
    engine.failing.add("bad");

    startSlowResync();

    assertThat(state("good")).isEqualTo("running");
    assertThat(store.entries).doesNotContainKey("bad");
    engine.failing.remove("bad");
    await().atMost(DEADLINE).until(() -> "running".equals(state("bad")));
  }

  @Test
  @DisplayName("a lost event stream is reopened from the last event, then everything is resynced")
  void reconnect() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    startSlowResync();
    engine.emit("c1", "attach");
    await().atMost(DEADLINE).until(() -> "attach".equals(store.entries.get("c1").lastEvent()));
    Instant lastEvent = store.entries.get("c1").lastEventAt();

    engine.down = true;
    engine.dropStream(new IOException("engine restarting"));
    // While the engine is away, a container stops and another appears: no event says so.
    engine.put(Fakes.withState(engine.containers.get("c1"), "exited", "none"));
    engine.put(Fakes.managed("c2", "shop", "running"));
    await()
        .during(Duration.ofMillis(300))
        .atMost(DEADLINE)
        .until(() -> engine.subscribedSince.size() == 1);
    engine.down = false;

    await().atMost(DEADLINE).until(() -> engine.subscribedSince.size() == 2);
    assertThat(engine.subscribedSince.get(1)).isEqualTo(lastEvent);
    await().atMost(DEADLINE).until(() -> "exited".equals(state("c1")));
    await().atMost(DEADLINE).until(() -> "running".equals(state("c2")));
  }

  @Test
  @DisplayName("a projection Redis lost is rebuilt by the next resync without repeating events")
  void redisLoss() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    engine.put(Fakes.managed("c2", "shop", "exited"));
    start(Duration.ofMillis(100), Duration.ofMinutes(10));
    int published = sink.events.size();
    Map<String, ContainerEntry> before = Map.copyOf(store.entries);

    store.entries.clear();

    await().atMost(DEADLINE).until(() -> store.entries.size() == 2);
    assertThat(store.entries).isEqualTo(before);
    assertThat(sink.events).hasSize(published);
  }

  @Test
  @DisplayName("an event that finds its entry lost rebuilds the whole projection at once")
  void redisLossSeenByAnEvent() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    engine.put(Fakes.managed("c2", "shop", "exited"));
    startSlowResync();
    int published = sink.events.size();

    store.entries.clear();
    engine.emit("c1", "attach");

    await().atMost(DEADLINE).until(() -> store.entries.size() == 2);
    assertThat(state("c2")).isEqualTo("exited");
    assertThat(sink.events).hasSize(published);
  }

  @Test
  @DisplayName("a change of an app's container is checked against its desired state at once")
  void driftAfterChange() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    desired.put(new AppState("shop", "web:1", "c1", "blue", true, false));
    startSlowResync();
    assertThat(sink.of(DriftDetected.class)).isEmpty();

    engine.put(Fakes.withState(engine.containers.get("c1"), "exited", "none"));
    engine.emit("c1", "die");

    await().atMost(DEADLINE).until(() -> !sink.of(DriftDetected.class).isEmpty());
    assertThat(sink.of(DriftDetected.class))
        .singleElement()
        .satisfies(d -> assertThat(d.kind()).isEqualTo(DriftKind.STOPPED));
    await().atMost(DEADLINE).until(() -> sink.commands.size() == 1);
  }

  @Test
  @DisplayName("when Kafka refuses an event the entry is not advanced, and the change is retried")
  void publishFailure() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    startSlowResync();
    sink.failing = true;

    engine.put(Fakes.withState(engine.containers.get("c1"), "exited", "none"));
    engine.emit("c1", "die");
    await().atMost(DEADLINE).until(() -> engine.inspections("c1") >= 2);
    assertThat(state("c1")).isEqualTo("running");

    sink.failing = false;
    await().atMost(DEADLINE).until(() -> "exited".equals(state("c1")));
    assertThat(sink.of(ContainerStateChanged.class))
        .extracting(ContainerStateChanged::state)
        .containsExactly("running", "exited");
  }

  @Test
  @DisplayName("undeploying closes the event stream")
  void stop() throws Exception {
    engine.put(Fakes.managed("c1", "shop", "running"));
    startSlowResync();
    assertThat(engine.listener).isNotNull();

    vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);

    assertThat(engine.listener).isNull();
  }
}
