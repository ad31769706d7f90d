package dev.slipway.reconciler.containers;

import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.vertx.Blocking;
import dev.slipway.reconciler.containers.DockerEngine.EngineEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the container projection true to the Docker engine (argo-cd style: reconcile by key,
 * re-reading reality).
 *
 * <ul>
 *   <li>Boot: lists every managed container and writes the whole projection, then follows the
 *       engine's event stream from the boot time, so nothing between the list and the subscription
 *       is lost.
 *   <li>An event only marks its container dirty; a worker inspects the real container and writes
 *       its whole entry. A burst for one container coalesces into one pass; health-check execs are
 *       ignored.
 *   <li>A periodic resync re-reads everything (the engine keeps only its last 256 events and skips
 *       slow subscribers); containers gone are marked missing, then removed after the retention. It
 *       also rebuilds a projection Redis lost.
 *   <li>A lost event stream is reopened with exponential backoff, followed by a resync.
 *   <li>Every change a person would see is published on {@code slipway.container.events} and
 *       appended to the change feed; drift against the apps' desired state is reported.
 * </ul>
 *
 * <p>All state lives on this verticle's context; engine calls run on virtual threads. The
 * reconciler only reads the engine: it never touches a container.
 */
public final class ContainerReconciler extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ContainerReconciler.class);

  private static final Duration ENGINE_CALL_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration RETRY_INITIAL = Duration.ofMillis(500);
  private static final Duration RETRY_MAX = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final DockerEngine engine;
  private final ContainerStore store;
  private final DesiredStates desired;
  private final ContainerEventSink sink;
  private final ContainerReconcilerConfig config;

  // What this reconciler last wrote, by container id: the projection as it should be, so a
  // projection Redis lost is rebuilt without repeating events.
  private final Map<String, ContainerEntry> known = new HashMap<>();
  private final Map<String, Instant> lastSeen = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private KeyedWorkQueue<String, EngineEvent> queue;
  private DriftDetector drift;

  private DockerEngine.Subscription subscription;
  private long streamToken;
  private Instant streamOpenedAt;
  private Instant resumeFrom;
  private int reconnectAttempt;
  private long resyncTimer = -1;
  private Future<Void> resyncInFlight;
  private boolean resyncRequested;
  private boolean stopping;

  public ContainerReconciler(
      DockerEngine engine,
      ContainerStore store,
      DesiredStates desired,
      ContainerEventSink sink,
      ContainerReconcilerConfig config) {
    this.engine = engine;
    this.store = store;
    this.desired = desired;
    this.sink = sink;
    this.config = config;
  }

  @Override
  public Future<?> start() {
    queue = new KeyedWorkQueue<>(config.workers(), ContainerReconciler::latest, this::pass);
    drift = new DriftDetector(desired, sink, store, this::entries);
    Instant boot = Instant.now();
    return resync("boot")
        .compose(v -> openStream(boot))
        .onSuccess(
            v -> {
              resyncTimer =
                  vertx.setPeriodic(
                      config.resyncInterval().toMillis(),
                      id -> {
                        if (resyncInFlight == null) {
                          resync("periodic");
                        }
                      });
              log.info(
                  "container reconciler started containers={} resyncIntervalMs={}"
                      + " missingRetentionMs={}",
                  known.size(),
                  config.resyncInterval().toMillis(),
                  config.missingRetention().toMillis());
            });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    if (resyncTimer >= 0) {
      vertx.cancelTimer(resyncTimer);
    }
    streamToken++;
    DockerEngine.Subscription open = subscription;
    subscription = null;
    queue.close();
    drift.close();
    Future<Void> closed =
        open == null
            ? Future.succeededFuture()
            : blocking(
                    () -> {
                      open.close();
                      return null;
                    })
                .<Void>mapEmpty()
                .recover(e -> Future.succeededFuture());
    return closed
        .compose(v -> queue.whenIdle())
        .timeout(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .recover(e -> Future.succeededFuture())
        .onComplete(v -> log.info("container reconciler stopped"));
  }

  /** The projection as this reconciler last wrote it. */
  Collection<ContainerEntry> entries() {
    return List.copyOf(known.values());
  }

  // ---- resync -------------------------------------------------------------------------------

  /** Re-reads every managed container and every projected one; runs one at a time. */
  Future<Void> resync(String reason) {
    if (resyncInFlight != null) {
      resyncRequested = true;
      return resyncInFlight;
    }
    Future<Void> running =
        doResync(reason)
            .onComplete(
                ar -> {
                  resyncInFlight = null;
                  if (resyncRequested && !stopping) {
                    resyncRequested = false;
                    resync("follow-up");
                  }
                });
    // A resync that finished at once must not leave itself marked as running.
    resyncInFlight = running.isComplete() ? null : running;
    return running;
  }

  private Future<Void> doResync(String reason) {
    long begin = System.nanoTime();
    AtomicInteger failed = new AtomicInteger();
    return blocking(engine::listManaged)
        .compose(
            engineIds ->
                store
                    .ids()
                    .compose(
                        stored -> {
                          if (stored.isEmpty() && !known.isEmpty()) {
                            log.warn(
                                "container projection lost (Redis flushed or restarted);"
                                    + " rebuilding known={} engine={}",
                                known.size(),
                                engineIds.size());
                          }
                          Set<String> ids = new LinkedHashSet<>(engineIds);
                          ids.addAll(stored);
                          ids.addAll(known.keySet());
                          List<Future<Void>> passes = new ArrayList<>();
                          for (String id : ids) {
                            passes.add(
                                queue
                                    .add(id, null)
                                    .recover(
                                        e -> {
                                          failed.incrementAndGet();
                                          return Future.succeededFuture();
                                        }));
                          }
                          return Future.join(passes).map(ids.size());
                        }))
        .compose(count -> drift.checkAll().map(count))
        .onSuccess(
            count ->
                log.debug(
                    "resync done reason={} containers={} failed={} tookMs={}",
                    reason,
                    count,
                    failed.get(),
                    (System.nanoTime() - begin) / 1_000_000))
        .onFailure(e -> log.warn("resync failed reason={} error=\"{}\"", reason, String.valueOf(e)))
        .mapEmpty();
  }

  // ---- one pass over one container ----------------------------------------------------------

  private Future<Void> pass(String id, EngineEvent trigger) {
    Instant now = Instant.now();
    return blocking(() -> engine.inspect(id))
        .compose(
            found ->
                store
                    .read(id)
                    .compose(stored -> apply(id, trigger, found.orElse(null), stored, now)))
        .onSuccess(v -> failures.remove(id))
        .onFailure(e -> retryLater(id, trigger, e));
  }

  private Future<Void> apply(
      String id,
      EngineEvent trigger,
      ContainerSnapshot snapshot,
      ContainerEntry stored,
      Instant now) {
    ContainerEntry previous = stored != null ? stored : known.get(id);
    if (stored == null && previous != null && resyncInFlight == null) {
      // Redis lost an entry this reconciler wrote (FLUSHALL, a restart without persistence): the
      // rest is likely gone too, so rebuild everything now rather than at the next period.
      log.warn("container entry lost from the projection containerId={}; resyncing", id);
      vertx.runOnContext(v -> resync("projection lost"));
    }
    if (snapshot != null) {
      if (!snapshot.managed()) {
        // Not Slipway's: never projected, never touched.
        return Future.succeededFuture();
      }
      Instant seenBefore = lastSeen.put(id, now);
      ContainerEntry next = ContainerEntry.observed(snapshot, trigger, previous, now);
      return commit(previous, stored, next, trigger, seenBefore, now);
    }
    if (previous == null) {
      // Created and removed between two looks: nothing was ever shown, nothing to retract.
      return Future.succeededFuture();
    }
    if (previous.isMissing()) {
      if (previous.missingSince() == null
          || !previous.missingSince().plus(config.missingRetention()).isAfter(now)) {
        return store
            .remove(id)
            .onSuccess(
                v -> {
                  known.remove(id);
                  lastSeen.remove(id);
                  log.info("container entry removed containerId={} app={}", id, previous.app());
                });
      }
      if (stored == null) {
        return store.write(previous, List.of()).onSuccess(v -> known.put(id, previous));
      }
      known.put(id, stored);
      return Future.succeededFuture();
    }
    if (previous.state() == null) {
      return leaveAloneWhileDeploying(previous)
          .compose(
              inFlight ->
                  inFlight
                      ? Future.succeededFuture()
                      : commit(
                          previous,
                          stored,
                          previous.missing(trigger, now),
                          trigger,
                          lastSeen.get(id),
                          now));
    }
    return commit(previous, stored, previous.missing(trigger, now), trigger, lastSeen.get(id), now);
  }

  /**
   * An entry without a state was announced before its container existed (a deploy in flight): it
   * stays until the deploy is over.
   */
  private Future<Boolean> leaveAloneWhileDeploying(ContainerEntry entry) {
    if (entry.app() == null) {
      return Future.succeededFuture(false);
    }
    return desired.app(entry.app()).map(app -> app != null && app.deployInFlight());
  }

  private Future<Void> commit(
      ContainerEntry previous,
      ContainerEntry stored,
      ContainerEntry next,
      EngineEvent trigger,
      Instant seenBefore,
      Instant now) {
    if (stored != null && stored.sameAs(next)) {
      known.put(next.id(), stored);
      return Future.succeededFuture();
    }
    if (stored == null && previous != null && previous.sameAs(next)) {
      // Redis lost the entry but nothing changed: put back exactly what was there.
      return store.write(previous, List.of()).onSuccess(v -> known.put(previous.id(), previous));
    }
    List<ContainerEvent> events =
        ContainerChanges.between(previous, next, trigger, seenBefore, now);
    List<Map<String, String>> feed =
        events.stream().map(e -> ContainerChanges.feedEntry(e, next, trigger)).toList();
    // Kafka first: if publishing fails the entry stays as it was, so the retry sees the change
    // again and publishes it (at least once); a crash in between repeats it, never loses it.
    Future<Void> published = Future.succeededFuture();
    for (ContainerEvent event : events) {
      published = published.compose(v -> sink.publish(event));
    }
    return published
        .compose(v -> store.write(next, feed))
        .onSuccess(
            v -> {
              known.put(next.id(), next);
              if (events.isEmpty()) {
                return;
              }
              log.info(
                  "container changed containerId={} app={} name={} state={} previousState={}"
                      + " health={} event=\"{}\"",
                  next.id(),
                  next.app(),
                  next.name(),
                  next.state(),
                  previous != null ? previous.state() : null,
                  next.health(),
                  trigger != null ? trigger.action() : "resync");
              if (next.app() != null) {
                drift.checkApp(next.app());
              }
            });
  }

  private void retryLater(String id, EngineEvent trigger, Throwable error) {
    if (stopping) {
      return;
    }
    int attempt = failures.merge(id, 1, Integer::sum);
    long delay = backoff(RETRY_INITIAL, RETRY_MAX, attempt - 1).toMillis();
    log.warn(
        "container pass failed containerId={} attempt={} retryInMs={} error=\"{}\"",
        id,
        attempt,
        delay,
        String.valueOf(error));
    vertx.setTimer(
        delay,
        t -> {
          if (!stopping) {
            queue.add(id, trigger);
          }
        });
  }

  // ---- the engine event stream --------------------------------------------------------------

  private Future<Void> openStream(Instant since) {
    long token = ++streamToken;
    Context ctx = context;
    DockerEngine.Listener listener =
        new DockerEngine.Listener() {
          @Override
          public void event(EngineEvent event) {
            ctx.runOnContext(
                v -> {
                  if (token == streamToken) {
                    onEngineEvent(event);
                  }
                });
          }

          @Override
          public void closed(Throwable error) {
            ctx.runOnContext(
                v -> {
                  if (token == streamToken) {
                    onStreamClosed(error);
                  }
                });
          }
        };
    return blocking(() -> engine.events(since, listener))
        .map(
            opened -> {
              if (stopping || token != streamToken) {
                Blocking.run(
                    vertx,
                    () -> {
                      opened.close();
                      return null;
                    });
              } else {
                subscription = opened;
                streamOpenedAt = Instant.now();
                if (resumeFrom == null || resumeFrom.isBefore(since)) {
                  resumeFrom = since;
                }
              }
              return null;
            });
  }

  private void onEngineEvent(EngineEvent event) {
    if (stopping) {
      return;
    }
    if (resumeFrom == null || event.time().isAfter(resumeFrom)) {
      resumeFrom = event.time();
    }
    if (event.isExec() || event.isSignal()) {
      return;
    }
    queue.add(event.containerId(), event);
  }

  private void onStreamClosed(Throwable error) {
    subscription = null;
    streamToken++;
    if (stopping) {
      return;
    }
    // A stream that lived long enough counts as a success: start the backoff over.
    if (streamOpenedAt != null
        && Duration.between(streamOpenedAt, Instant.now()).compareTo(config.reconnectMaxBackoff())
            >= 0) {
      reconnectAttempt = 0;
    }
    log.warn(
        "engine event stream closed error=\"{}\"; reconnecting",
        error == null ? "ended by the engine" : String.valueOf(error));
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    if (stopping) {
      return;
    }
    Duration delay =
        backoff(config.reconnectInitialBackoff(), config.reconnectMaxBackoff(), reconnectAttempt);
    reconnectAttempt++;
    vertx.setTimer(delay.toMillis(), t -> reconnect());
  }

  private void reconnect() {
    if (stopping) {
      return;
    }
    // Replay from the last event seen; the resync afterwards covers whatever the engine dropped.
    Instant since = resumeFrom != null ? resumeFrom : Instant.now();
    blocking(
            () -> {
              engine.ping();
              return null;
            })
        .compose(v -> openStream(since))
        .onSuccess(
            v -> {
              log.info("engine event stream reopened attempt={}", reconnectAttempt);
              resync("reconnect");
            })
        .onFailure(
            e -> {
              log.warn(
                  "engine unreachable attempt={} error=\"{}\"",
                  reconnectAttempt,
                  String.valueOf(e));
              scheduleReconnect();
            });
  }

  // ---- helpers ------------------------------------------------------------------------------

  private <T> Future<T> blocking(Callable<T> call) {
    return Blocking.run(vertx, call).timeout(ENGINE_CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  static Duration backoff(Duration initial, Duration max, int attempt) {
    long millis = initial.toMillis() << Math.min(attempt, 20);
    return Duration.ofMillis(Math.min(millis, max.toMillis()));
  }

  /** Coalescing keeps the newest event; a resync (no event) does not erase one. */
  private static EngineEvent latest(EngineEvent waiting, EngineEvent added) {
    if (waiting == null) {
      return added;
    }
    if (added == null) {
      return waiting;
    }
    return added.time().isBefore(waiting.time()) ? waiting : added;
  }
}
