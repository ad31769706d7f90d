package dev.slipway.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.SampleEvents;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The app scheduler: one command per app at a time, apps in parallel, supersede")
class AppSchedulerTest {

  private Vertx vertx;
  private Context context;
  private final List<String> ran = new CopyOnWriteArrayList<>();
  private final List<String> superseded = new CopyOnWriteArrayList<>();
  private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
  private final AtomicInteger concurrent = new AtomicInteger();
  private final AtomicInteger maxConcurrent = new AtomicInteger();

  /** Runs a command by waiting at its gate (when it has one), recording it. */
  private final AppScheduler.Runner runner =
      new AppScheduler.Runner() {
        @Override
        public void run(DeployCommand command) {
          String id = id(command);
          maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
          try {
            CountDownLatch gate = gates.get(id);
            if (gate != null) {
              gate.await(10, TimeUnit.SECONDS);
            }
            ran.add(id);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            concurrent.decrementAndGet();
          }
        }

        @Override
        public void supersede(DeployCommand older, DeployCommand newer) {
          superseded.add(id(older) + " by " + id(newer));
        }
      };

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void tearDown() throws Exception {
    gates.values().forEach(CountDownLatch::countDown);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName(
      "a newer deploy supersedes the one waiting behind the running deploy, which finishes first")
  void supersedesWaiting() throws Exception {
    AppScheduler scheduler = new AppScheduler(runner, 4);
    gates.put("a", new CountDownLatch(1));
    Future<Void> a = scheduler.submit(deploy("shop", "a"), context);
    await().until(() -> scheduler.running() == 1);
    Future<Void> b = scheduler.submit(deploy("shop", "b"), context);
    Future<Void> c = scheduler.submit(deploy("shop", "c"), context);

    b.await(5, TimeUnit.SECONDS);
    assertThat(superseded).containsExactly("b by c");
    assertThat(ran).isEmpty();
    gates.get("a").countDown();
    a.await(5, TimeUnit.SECONDS);
    c.await(5, TimeUnit.SECONDS);
    assertThat(ran).containsExactly("a", "c");
  }

  @Test
  @DisplayName(
      "a removal supersedes a waiting deploy, and a deploy after a waiting removal waits behind it")
  void removalOrder() throws Exception {
    AppScheduler scheduler = new AppScheduler(runner, 4);
    gates.put("a", new CountDownLatch(1));
    Future<Void> a = scheduler.submit(deploy("shop", "a"), context);
    await().until(() -> scheduler.running() == 1);
    Future<Void> b = scheduler.submit(deploy("shop", "b"), context);
    Future<Void> rm = scheduler.submit(new RemoveRequested("rm", "shop", Instant.now()), context);
    Future<Void> d = scheduler.submit(deploy("shop", "d"), context);
    gates.get("a").countDown();
    Future.all(a, b, rm, d).await(5, TimeUnit.SECONDS);

    assertThat(superseded).containsExactly("b by rm");
    assertThat(ran).containsExactly("a", "rm", "d");
  }

  @Test
  @DisplayName("a reconcile is absorbed by a command already waiting, and absorbs none itself")
  void reconcileAbsorbed() throws Exception {
    AppScheduler scheduler = new AppScheduler(runner, 4);
    gates.put("a", new CountDownLatch(1));
    Future<Void> a = scheduler.submit(deploy("shop", "a"), context);
    await().until(() -> scheduler.running() == 1);
    Future<Void> b = scheduler.submit(deploy("shop", "b"), context);
    Future<Void> heal = scheduler.submit(reconcile("shop"), context);
    assertThat(heal.succeeded()).isTrue();
    gates.get("a").countDown();
    Future.all(a, b).await(5, TimeUnit.SECONDS);

    assertThat(ran).containsExactly("a", "b");
    assertThat(superseded).isEmpty();
  }

  @Test
  @DisplayName("different apps deploy in parallel up to the limit")
  void parallelApps() throws Exception {
    AppScheduler scheduler = new AppScheduler(runner, 2);
    CountDownLatch gate = new CountDownLatch(1);
    for (String app : List.of("a1", "a2", "a3")) {
      gates.put(app, gate);
    }
    List<Future<Void>> done =
        List.of(
            scheduler.submit(deploy("app1", "a1"), context),
            scheduler.submit(deploy("app2", "a2"), context),
            scheduler.submit(deploy("app3", "a3"), context));
    await().atMost(Duration.ofSeconds(5)).until(() -> scheduler.running() == 2);
    // running() counts a command when it is dispatched, before its virtual thread calls run().
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(concurrent.get()).isEqualTo(2));
    gate.countDown();
    Future.all(done).await(5, TimeUnit.SECONDS);

    assertThat(ran).containsExactlyInAnyOrder("a1", "a2", "a3");
    assertThat(maxConcurrent.get()).isEqualTo(2);
  }

  @Test
  @DisplayName("a command whose outcome could not be recorded fails its Future, so it is retried")
  void failurePropagates() throws Exception {
    AppScheduler scheduler =
        new AppScheduler(
            new AppScheduler.Runner() {
              @Override
              public void run(DeployCommand command) {
                throw new IllegalStateException("redis down");
              }

              @Override
              public void supersede(DeployCommand older, DeployCommand newer) {}
            },
            1);
    Future<Void> f = scheduler.submit(deploy("shop", "a"), context);
    await().atMost(Duration.ofSeconds(5)).until(f::isComplete);
    assertThat(f.failed()).isTrue();
    assertThat(f.cause()).hasMessage("redis down");
  }

  private static DeployRequested deploy(String app, String id) {
    return new DeployRequested(
        id,
        app,
        SampleEvents.minimalSpec(app, "img:1", DeploySpec.Strategy.BLUE_GREEN, 8080, null),
        null,
        Instant.now());
  }

  private static ReconcileRequested reconcile(String app) {
    return new ReconcileRequested(app, "drift", Instant.now());
  }

  private static String id(DeployCommand command) {
    String id = Deployer.deploymentId(command);
    return id == null ? "reconcile" : id;
  }
}
