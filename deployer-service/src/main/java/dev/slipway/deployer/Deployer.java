package dev.slipway.deployer;

import dev.slipway.deployer.engine.ContainerEngine;
import dev.slipway.deployer.engine.ContainerEngine.ContainerInfo;
import dev.slipway.deployer.engine.ContainerEngine.ContainerSpec;
import dev.slipway.deployer.engine.ImageRef;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.Color;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import dev.slipway.infra.events.DeployCommand.RollbackRequested;
import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.DeployEvent.AppRemoved;
import dev.slipway.infra.events.DeployEvent.DeployFailed;
import dev.slipway.infra.events.DeployEvent.DeployPhaseChanged;
import dev.slipway.infra.events.DeployEvent.DeployRolledBack;
import dev.slipway.infra.events.DeployEvent.DeployStarted;
import dev.slipway.infra.events.DeployEvent.DeploySucceeded;
import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.DeploySpec.Strategy;
import dev.slipway.infra.events.Names;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.secrets.SealedEnv;
import dev.slipway.infra.secrets.SecretBox;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs deploy commands against the engine, one command of an app at a time, as a sequence of
 * bounded steps (kamal-proxy's deploy): validate → image present → create → start → health gate →
 * record → switch route → drain old → remove old.
 *
 * <p>Recording is the commit point. Before it, a failure removes what the attempt created and
 * leaves the live revision serving ({@code dev.slipway.deploy.failed}). It writes the new live
 * revision to Redis in one transaction, then publishes {@code dev.slipway.deploy.succeeded} with
 * the whole spec; only then is the old container touched. After it, the deployment completes: the
 * route switches, the old container drains and goes, unless the new revision fails its health in
 * the rollback window, when the route goes back to the old container ({@code
 * dev.slipway.deploy.rolled_back}). A deployer killed at any step finds the deployment in the app
 * hash when it starts: before the commit point it reports it failed and removes its containers;
 * after it, it completes it.
 *
 * <p>Every method blocks: it runs on a virtual thread of its own, never on an event loop. Engine
 * calls run bounded on their own virtual threads; Redis and Kafka calls are awaited with timeouts.
 */
public final class Deployer implements AppScheduler.Runner {

  private static final Logger log = LoggerFactory.getLogger(Deployer.class);

  /** Role label value of an app's serving container. */
  public static final String ROLE_WEB = "web";

  /** Named volumes only: a host path in a spec would let a client mount the host. */
  private static final Pattern VOLUME =
      Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.-]*:/[^:]*(:(ro|rw))?$");

  private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_.-]*$");
  private static final Duration TICK = Duration.ofMillis(100);
  private static final int ROUTE_ATTEMPTS = 3;

  private final ContainerEngine engine;
  private final AppStore store;
  private final DeployEventSink events;
  private final HealthProbe probe;
  private final PullCredentials credentials;
  private final DeployHistory history;
  private final DeployerConfig config;
  private final Clock clock;
  private final SecretBox box;

  /**
   * Deployments of this installation seen in this process. Several installations can share one
   * engine: a container is only ever touched when its deployment label is one of ours.
   */
  private final Set<String> ownDeployments = ConcurrentHashMap.newKeySet();

  /**
   * @param history where app state comes back from when Redis lost it; {@code null} for nowhere
   */
  public Deployer(
      ContainerEngine engine,
      AppStore store,
      DeployEventSink events,
      HealthProbe probe,
      PullCredentials credentials,
      DeployHistory history,
      DeployerConfig config,
      Clock clock,
      SecretBox box) {
    this.engine = engine;
    this.store = store;
    this.events = events;
    this.probe = probe;
    this.credentials = credentials;
    this.history = history;
    this.config = config;
    this.clock = clock;
    this.box = Objects.requireNonNull(box, "box");
  }

  // ---- commands ----

  /**
   * Runs one command to its end. A deployment that fails is reported, not thrown; this throws only
   * when the outcome could not be recorded (Redis or Kafka down), so the command is retried, and
   * the retry first settles what this attempt left.
   */
  @Override
  public void run(DeployCommand command) {
    String id = deploymentId(command);
    if (!Names.isValidApp(command.app()) || (id != null && !Names.isValidId(id))) {
      // Nothing can be recorded under such names; retrying would block the app forever.
      log.warn(
          "command with an invalid app name or deployment id skipped type={} app=\"{}\"",
          command.type(),
          command.app());
      return;
    }
    switch (command) {
      case DeployRequested d -> deploy(d);
      case RollbackRequested r -> rollback(r);
      case RemoveRequested r -> remove(r);
      case ReconcileRequested r -> converge(r.app(), "reconcile requested: " + r.reason());
    }
  }

  /**
   * Reports a queued command that a newer one replaced before it started: {@code
   * dev.slipway.deploy.failed} with reason {@value DeployFailure#SUPERSEDED}.
   */
  @Override
  public void supersede(DeployCommand older, DeployCommand newer) {
    String olderId = deploymentId(older);
    if (olderId == null || ended(olderId)) {
      return;
    }
    String by = deploymentId(newer);
    String message =
        "Deployment "
            + olderId
            + " of app "
            + older.app()
            + " was superseded by "
            + (newer instanceof RemoveRequested ? "the removal " : "deployment ")
            + by
            + " before it started; "
            + by
            + " runs instead.";
    publish(new DeployFailed(olderId, older.app(), null, DeployFailure.SUPERSEDED, message, now()));
    await(store.superseded(older.app(), olderId, by, message, older.requestedAt()), "record");
    log.info(
        "deployment superseded app={} deploymentId={} supersededBy={}", older.app(), olderId, by);
  }

  /** The deployment id a command carries; {@code null} for a reconcile request. */
  public static String deploymentId(DeployCommand command) {
    return switch (command) {
      case DeployRequested d -> d.deploymentId();
      case RollbackRequested r -> r.deploymentId();
      case RemoveRequested r -> r.deploymentId();
      case ReconcileRequested r -> null;
    };
  }

  private void deploy(DeployRequested d) {
    if (log.isDebugEnabled()) {
      log.debug(
          "deploy command taken app={} deploymentId={} sinceRequestedMs={}",
          d.app(),
          d.deploymentId(),
          Duration.between(d.requestedAt(), now()).toMillis());
    }
    if (ended(d.deploymentId())) {
      return;
    }
    AppRecord before = prepare(d.app());
    long revision = (before == null ? 0 : before.lastRevision()) + 1;
    Run run =
        new Run(
            d.deploymentId(), d.app(), DeploymentHash.KIND_DEPLOY, d.buildId(), d.requestedAt());
    rollOut(run, before, new Target(d.spec(), revision, true, d.buildId()), null);
  }

  private void rollback(RollbackRequested r) {
    if (ended(r.deploymentId())) {
      return;
    }
    AppRecord before = prepare(r.app());
    Run run =
        new Run(r.deploymentId(), r.app(), DeploymentHash.KIND_ROLLBACK, null, r.requestedAt());
    Target target = null;
    DeployFailure invalid = null;
    try {
      target = rollbackTarget(before, r);
    } catch (DeployFailure f) {
      invalid = f;
    }
    rollOut(run, before, target, invalid);
  }

  private Target rollbackTarget(AppRecord before, RollbackRequested r) throws DeployFailure {
    if (before == null || !before.hasLive()) {
      throw new DeployFailure(
          DeployFailure.NOTHING_TO_ROLL_BACK,
          "App " + r.app() + " has no live revision to roll back from; deploy it first.");
    }
    Map<Long, RevisionEntry> revisions = await(store.revisions(r.app()), "read revisions");
    RevisionEntry entry;
    if (r.toRevision() != null) {
      entry = revisions.get(r.toRevision());
      if (entry == null) {
        throw new DeployFailure(
            DeployFailure.REVISION_NOT_FOUND,
            "Revision "
                + r.toRevision()
                + " of app "
                + r.app()
                + " is not in its history; it keeps revisions "
                + new TreeSet<>(revisions.keySet())
                + ". Roll back to one of those.");
      }
    } else {
      entry =
          revisions.values().stream()
              .filter(e -> e.revision() < before.liveRevision())
              .max(Comparator.comparingLong(RevisionEntry::revision))
              .orElseThrow(
                  () ->
                      new DeployFailure(
                          DeployFailure.NOTHING_TO_ROLL_BACK,
                          "App "
                              + r.app()
                              + " has no revision before the live revision "
                              + before.liveRevision()
                              + " in its history; name one with to_revision."));
    }
    if (entry.revision() == before.liveRevision()) {
      throw new DeployFailure(
          DeployFailure.NOTHING_TO_ROLL_BACK,
          "Revision " + entry.revision() + " of app " + r.app() + " is already live.");
    }
    return new Target(entry.spec(), entry.revision(), false, entry.buildId());
  }

  private void remove(RemoveRequested r) {
    if (ended(r.deploymentId())) {
      return;
    }
    AppRecord before = prepare(r.app());
    Run run = new Run(r.deploymentId(), r.app(), DeploymentHash.KIND_REMOVE, null, r.requestedAt());
    ownDeployments.add(run.id);
    await(
        store.begin(
            new AppStore.Start(run.id, run.app, run.kind, null, null, run.requestedAt, now())),
        "record");
    tearDown(run, before);
  }

  // ---- the roll-out ----

  /** What a roll-out puts live. */
  private record Target(DeploySpec spec, long revision, boolean newRevision, String buildId) {}

  /** One deployment in progress. */
  private static final class Run {
    final String id;
    final String app;
    final String kind;
    final String buildId;
    final Instant requestedAt;
    DeployPhase phase;

    /** The last phase's event and record, still under way while the next step runs. */
    Future<?> phaseRecorded = Future.succeededFuture();

    private final long started = System.nanoTime();
    private long lap = started;

    Run(String id, String app, String kind, String buildId, Instant requestedAt) {
      this.id = id;
      this.app = app;
      this.kind = kind;
      this.buildId = buildId;
      this.requestedAt = requestedAt;
    }

    /** Logs at DEBUG how long {@code step} took since the last one: where a deploy's time goes. */
    void lap(String step) {
      if (!log.isDebugEnabled()) {
        return;
      }
      long now = System.nanoTime();
      log.debug(
          "deploy step app={} deploymentId={} step={} tookMs={} sinceStartMs={}",
          app,
          id,
          step,
          String.format(Locale.ROOT, "%.1f", (now - lap) / 1e6),
          String.format(Locale.ROOT, "%.1f", (now - started) / 1e6));
      lap = now;
    }
  }

  private void rollOut(Run run, AppRecord before, Target target, DeployFailure invalid) {
    Strategy strategy =
        target != null
            ? target.spec().strategy()
            : before != null && before.spec() != null
                ? before.spec().strategy()
                : Strategy.BLUE_GREEN;
    ownDeployments.add(run.id);
    // The record names the deployment in the app hash, which a deployer that restarts settles:
    // it must land before anything is created. The event is a report like a phase's: it goes out
    // alongside, first in the chain the phases follow.
    run.phaseRecorded = events.publish(new DeployStarted(run.id, run.app, strategy, now()));
    await(
        store.begin(
            new AppStore.Start(
                run.id,
                run.app,
                run.kind,
                strategy,
                target != null ? target.buildId() : run.buildId,
                run.requestedAt,
                now())),
        "record");
    run.lap("started");
    log.info(
        "deployment started app={} deploymentId={} kind={} strategy={} revision={}",
        run.app,
        run.id,
        run.kind,
        strategy.wire(),
        target != null ? target.revision() : null);

    ContainerInfo old = null;
    boolean oldStopped = false;
    AppRecord live;
    try {
      enter(run, DeployPhase.VALIDATE);
      if (invalid != null) {
        throw invalid;
      }
      DeploySpec spec = target.spec();
      validate(spec, run.app);
      Color color =
          before != null && before.liveColor() != null ? before.liveColor().other() : Color.BLUE;
      String name = Labels.containerName(run.app, target.revision(), color);
      String liveId = before != null ? before.liveContainer() : null;
      // Engine calls that depend on nothing before them run side by side with the image check.
      FutureTask<ContainerInfo> liveLook = liveId == null ? null : fork(() -> inspect(liveId));
      FutureTask<Void> nameCleared =
          fork(
              () -> {
                // An attempt that died before its cleanup may have left a container by this name.
                Optional<ContainerInfo> stale = engine.inspect(name);
                if (stale.isPresent() && !stale.get().id().equals(liveId)) {
                  engine.remove(stale.get().id());
                }
                return null;
              });

      enter(run, DeployPhase.PULL);
      ensureImage(spec.image());
      run.lap("image present");
      if (liveLook != null) {
        old = join(liveLook, config.stepTimeout(), "inspecting the live container");
        run.lap("inspect live");
      }

      if (strategy == Strategy.RECREATE && old != null && old.running()) {
        // Recreate stops the old container first: the documented downtime. It is kept, stopped,
        // until the new one is live, so a failure can start it again.
        enter(run, DeployPhase.DRAIN);
        String oldId = old.id();
        bounded(
            config.stopTimeout().plus(config.stepTimeout()),
            "stopping the old container",
            () -> {
              engine.stop(oldId, config.stopTimeout());
              return null;
            });
        oldStopped = true;
      }

      enter(run, DeployPhase.CREATE);
      join(nameCleared, config.stepTimeout(), "clearing the container name");
      run.lap("clear name");
      ContainerSpec containerSpec = containerSpec(run, spec, target.revision(), color, name);
      String newId =
          failingAs(
              DeployFailure.CREATE_FAILED,
              () ->
                  bounded(
                      config.stepTimeout(),
                      "creating the container",
                      () -> engine.create(containerSpec)));
      run.lap("create");

      enter(run, DeployPhase.START);
      startContainer(newId);
      run.lap("start");
      ContainerInfo started =
          bounded(config.stepTimeout(), "inspecting the new container", () -> inspect(newId));
      run.lap("inspect new");
      if (started == null || !started.running()) {
        throw new DeployFailure(
            DeployFailure.CONTAINER_EXITED,
            "The new container "
                + name
                + " stopped right after it started ("
                + (started == null ? "gone" : started.state())
                + "); see `docker logs "
                + name
                + "`.");
      }
      Integer hostPort = started.hostPort(spec.port());
      if (spec.port() != null && hostPort == null) {
        throw new DeployFailure(
            DeployFailure.START_FAILED,
            "The engine published no host port for container port " + spec.port() + ".");
      }
      String upstream = upstream(hostPort);

      enter(run, DeployPhase.HEALTH_GATE);
      gate(newId, name, hostPort, spec);
      run.lap("health gate");

      // Every phase report up to here must have landed before the commit point; only the record
      // phase's own goes out alongside the commit.
      settle(run);
      enter(run, DeployPhase.RECORD);
      AppRecord base = before != null ? before : emptyApp(run.app);
      live = base.withLive(spec, target.revision(), run.id, color, newId, upstream, selfHeal(spec));
      RevisionEntry entry =
          target.newRevision()
              ? new RevisionEntry(target.revision(), run.id, target.buildId(), spec, now())
              : null;
      try {
        await(store.commit(live, entry, run.id), "record the live revision");
        run.lap("commit");
        settle(run);
      } catch (RuntimeException e) {
        throw new DeployFailure(
            DeployFailure.RECORD_FAILED,
            "The new revision could not be recorded as live (" + e.getMessage() + ").",
            e);
      }
    } catch (DeployFailure failure) {
      abort(run, before, failure, old, oldStopped);
      return;
    } catch (RuntimeException e) {
      abort(run, before, asFailure(run.phase, e), old, oldStopped);
      return;
    }
    completeLive(run, before, live, old, strategy);
  }

  /** After the commit point: announce, switch, drain, watch, remove the old container. */
  private void completeLive(
      Run run, AppRecord before, AppRecord live, ContainerInfo old, Strategy strategy) {
    announce(run, before != null ? before.liveRevision() : 0, live);
    run.lap("announce");
    enter(run, DeployPhase.SWITCH);
    long version = switchRoute(run.app, live.upstream());
    run.lap("switch");
    if (strategy == Strategy.BLUE_GREEN && old != null && old.running()) {
      enter(run, DeployPhase.DRAIN);
      String failure = drainAndWatch(run, before.upstream(), version, live);
      run.lap("drain and watch");
      if (failure != null) {
        rollBackAfterSwitch(run, before, live, failure);
        return;
      }
    }
    enter(run, DeployPhase.REMOVE_OLD);
    for (ContainerInfo c : listOwn(run.app)) {
      if (!c.id().equals(live.liveContainer())) {
        retire(c);
      }
    }
    run.lap("remove old");
    settle(run);
    await(
        store.finish(
            run.app,
            run.id,
            new AppStore.Outcome(
                DeploymentHash.STATUS_SUCCEEDED, DeployPhase.REMOVE_OLD, null, null)),
        "record");
    run.lap("record finish");
    log.info(
        "deployment succeeded app={} deploymentId={} revision={} color={} containerId={}"
            + " upstream={}",
        run.app,
        run.id,
        live.liveRevision(),
        live.liveColor().wire(),
        live.liveContainer(),
        live.upstream());
  }

  /** Publishes the event that makes the revision live, once. */
  private void announce(Run run, long fromRevision, AppRecord live) {
    DeployEvent event =
        DeploymentHash.KIND_ROLLBACK.equals(run.kind)
            ? new DeployRolledBack(
                run.id,
                run.app,
                fromRevision,
                live.liveRevision(),
                "rollback requested to revision " + live.liveRevision(),
                now())
            : new DeploySucceeded(
                run.id,
                run.app,
                live.liveRevision(),
                live.liveColor(),
                live.liveContainer(),
                live.upstream() == null ? "" : live.upstream(),
                live.spec(),
                now());
    publish(event);
    await(store.announced(run.id), "record");
  }

  private long switchRoute(String app, String upstream) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= ROUTE_ATTEMPTS; attempt++) {
      try {
        long version = await(store.route(app, upstream), "switch the route");
        log.info("route switched app={} upstream={} routesVersion={}", app, upstream, version);
        return version;
      } catch (RuntimeException e) {
        last = e;
        log.warn("route switch failed app={} attempt={} error=\"{}\"", app, attempt, e.toString());
        sleep(config.healthInterval());
      }
    }
    throw last;
  }

  /**
   * Waits until the edge routers serve the new routes version with nothing in flight to the old
   * upstream (bounded by the drain timeout; the drain grace when no edge reports), and watches the
   * new revision for the rollback window meanwhile.
   *
   * @return why the new revision failed in the window, or {@code null} when it held
   */
  private String drainAndWatch(Run run, String oldUpstream, long version, AppRecord live) {
    Health health = health(live.spec());
    Integer hostPort = hostPortOf(live.upstream());
    long start = System.nanoTime();
    long drainDeadline = start + config.drainTimeout().toNanos();
    long graceEnd = start + config.drainGrace().toNanos();
    long windowEnd = start + config.rollbackWindow().toNanos();
    long nextProbe = start;
    boolean drained = false;
    int failures = 0;
    String lastFailure = null;
    while (true) {
      long now = System.nanoTime();
      if (!drained) {
        drained = drained(oldUpstream, version, now >= graceEnd);
        if (drained) {
          log.info(
              "old upstream drained app={} deploymentId={} upstream={} tookMs={}",
              run.app,
              run.id,
              oldUpstream,
              Duration.ofNanos(now - start).toMillis());
        } else if (now >= drainDeadline) {
          drained = true;
          log.warn(
              "drain timed out, stopping the old container anyway app={} deploymentId={}"
                  + " upstream={} drainTimeoutMs={}",
              run.app,
              run.id,
              oldUpstream,
              config.drainTimeout().toMillis());
        }
      }
      if (now < windowEnd && now >= nextProbe) {
        String problem = probeLive(live.liveContainer(), hostPort, health);
        if (problem == null) {
          failures = 0;
        } else {
          failures = problem.startsWith("exited") ? config.unhealthyThreshold() : failures + 1;
          lastFailure = problem;
          if (failures >= config.unhealthyThreshold()) {
            return lastFailure;
          }
        }
        nextProbe = now + health.interval().toNanos();
      }
      if (drained && now >= windowEnd) {
        return null;
      }
      sleep(TICK);
    }
  }

  private boolean drained(String upstream, long version, boolean graceOver) {
    List<EdgeReport> edges;
    try {
      edges = await(store.edges(), "read edge reports");
    } catch (RuntimeException e) {
      log.warn("edge reports unreadable error=\"{}\"", e.toString());
      return false;
    }
    if (edges.isEmpty()) {
      return graceOver;
    }
    return edges.stream().allMatch(e -> e.drained(version, upstream == null ? "" : upstream));
  }

  /**
   * One look at a live container; {@code null} when healthy, else what is wrong. A passing probe is
   * enough; the engine is asked only when it fails (or there is no port), so watching a new
   * revision at a short interval does not load the engine while traffic moves over.
   */
  private String probeLive(String containerId, Integer hostPort, Health health) {
    HealthProbe.Result result = hostPort == null ? null : probeOnce(hostPort, health);
    if (result != null && result.healthy()) {
      return null;
    }
    ContainerInfo info;
    try {
      info = bounded(config.stepTimeout(), "inspecting the container", () -> inspect(containerId));
    } catch (DeployFailure | RuntimeException e) {
      return "engine: " + e.getMessage();
    }
    if (info == null || !info.running()) {
      return "exited (" + (info == null ? "gone" : info.state()) + ")";
    }
    return result == null ? null : "GET " + health.path() + ": " + result.detail();
  }

  private void rollBackAfterSwitch(Run run, AppRecord before, AppRecord live, String failure) {
    String message =
        "Revision "
            + live.liveRevision()
            + " failed its health check after the switch ("
            + failure
            + "); revision "
            + before.liveRevision()
            + " is live again.";
    log.warn(
        "rolling back after the switch app={} deploymentId={} fromRevision={} toRevision={}"
            + " reason=\"{}\"",
        run.app,
        run.id,
        live.liveRevision(),
        before.liveRevision(),
        failure);
    switchRoute(run.app, before.upstream());
    AppRecord restored =
        new AppRecord(
            before.app(),
            before.spec(),
            before.liveRevision(),
            before.liveDeployment(),
            before.liveColor(),
            before.liveContainer(),
            before.upstream(),
            Math.max(before.lastRevision(), live.lastRevision()),
            before.selfHeal(),
            AppHash.HEALTHY,
            run.id,
            before.createdAt());
    settle(run);
    await(store.commit(restored, null, null), "record the rollback");
    publish(
        new DeployRolledBack(
            run.id, run.app, live.liveRevision(), before.liveRevision(), message, now()));
    Optional.ofNullable(inspectQuietly(live.liveContainer())).ifPresent(this::retire);
    await(
        store.finish(
            run.app,
            run.id,
            new AppStore.Outcome(
                DeploymentHash.STATUS_ROLLED_BACK,
                DeployPhase.DRAIN,
                "unhealthy_after_switch",
                message)),
        "record");
  }

  /** Before the commit point: removes what the attempt made, restarts a stopped old container. */
  private void abort(
      Run run, AppRecord before, DeployFailure failure, ContainerInfo old, boolean oldStopped) {
    settleQuietly(run);
    AppRecord now = await(store.load(run.app), "read the app");
    if (now != null && run.id.equals(now.liveDeployment())) {
      // The commit went through though its reply was lost: the revision is live.
      log.warn(
          "commit reply lost, completing app={} deploymentId={} error=\"{}\"",
          run.app,
          run.id,
          failure.getMessage());
      completeLive(
          run, before, now, old, now.spec() != null ? now.spec().strategy() : Strategy.BLUE_GREEN);
      return;
    }
    log.warn(
        "deployment failed app={} deploymentId={} phase={} reason={} message=\"{}\"",
        run.app,
        run.id,
        run.phase == null ? null : run.phase.wire(),
        failure.reason(),
        failure.getMessage());
    String liveId = before != null ? before.liveContainer() : null;
    for (ContainerInfo c : listApp(run.app)) {
      if (run.id.equals(c.deployment()) && !c.id().equals(liveId)) {
        removeQuietly(c.id());
      }
    }
    if (oldStopped) {
      restartOld(run, before, old);
    }
    publish(
        new DeployFailed(
            run.id, run.app, run.phase, failure.reason(), failure.getMessage(), now()));
    await(
        store.finish(
            run.app,
            run.id,
            new AppStore.Outcome(
                DeploymentHash.STATUS_FAILED, run.phase, failure.reason(), failure.getMessage())),
        "record");
  }

  private void restartOld(Run run, AppRecord before, ContainerInfo old) {
    try {
      bounded(
          config.stepTimeout(),
          "restarting the old container",
          () -> {
            engine.start(old.id());
            return null;
          });
      ContainerInfo info = inspectQuietly(old.id());
      Integer port = info == null ? null : info.hostPort(before.spec().port());
      String upstream = upstream(port);
      if (!upstream.equals(Objects.requireNonNullElse(before.upstream(), ""))) {
        await(store.updateLive(run.app, old.id(), upstream, AppHash.HEALTHY), "record");
        switchRoute(run.app, upstream);
      }
      log.info("old container restarted app={} deploymentId={}", run.app, run.id);
    } catch (DeployFailure | RuntimeException e) {
      // The reconciler reports the stopped container; a reconcile restarts or recreates it.
      log.error(
          "old container could not be restarted app={} containerId={} error=\"{}\"",
          run.app,
          old.id(),
          e.getMessage());
    }
  }

  // ---- health ----

  /** The health settings of a spec, with the deployer's defaults for what it leaves out. */
  record Health(
      String path,
      Duration interval,
      Duration timeout,
      int threshold,
      Duration startPeriod,
      Duration deployTimeout) {}

  Health health(DeploySpec spec) {
    DeploySpec.HealthSpec h = spec.health();
    return new Health(
        h != null && h.path() != null ? h.path() : config.healthPath(),
        duration(h == null ? null : h.interval(), config.healthInterval()),
        duration(h == null ? null : h.timeout(), config.healthTimeout()),
        h != null && h.healthyThreshold() != null
            ? h.healthyThreshold()
            : config.healthyThreshold(),
        duration(h == null ? null : h.startPeriod(), Duration.ZERO),
        duration(h == null ? null : h.deployTimeout(), config.deployTimeout()));
  }

  private static Duration duration(String text, Duration fallback) {
    return text == null ? fallback : DeploySpec.HealthSpec.parseDuration(text);
  }

  /**
   * Probes the new container until {@code threshold} probes in a row pass; fails when it exits or
   * the start period plus the deploy timeout run out. An app without a port passes by running.
   */
  private void gate(String containerId, String name, Integer hostPort, DeploySpec spec)
      throws DeployFailure {
    Health h = health(spec);
    long deadline = System.nanoTime() + h.startPeriod().plus(h.deployTimeout()).toNanos();
    int passes = 0;
    int probes = 0;
    String last = "no answer yet";
    while (true) {
      if (hostPort != null) {
        probes++;
        HealthProbe.Result result = probeOnce(hostPort, h);
        if (result.healthy()) {
          passes++;
        } else {
          passes = 0;
          last = result.detail();
        }
        // An answer on the published port is the container's own: no inspect needed to pass.
        if (passes >= h.threshold()) {
          log.debug("health gate passed containerId={} probes={}", containerId, probes);
          return;
        }
      }
      ContainerInfo info =
          bounded(config.stepTimeout(), "inspecting the new container", () -> inspect(containerId));
      if (info == null || !info.running()) {
        throw new DeployFailure(
            DeployFailure.CONTAINER_EXITED,
            "The new container "
                + name
                + " exited ("
                + (info == null ? "gone" : info.state())
                + ") before it passed its health check; see `docker logs "
                + name
                + "`.");
      }
      if (hostPort == null) {
        passes++;
      }
      if (passes >= h.threshold()) {
        log.debug("health gate passed containerId={} probes={}", containerId, probes);
        return;
      }
      if (System.nanoTime() >= deadline) {
        throw new DeployFailure(
            DeployFailure.HEALTH_TIMEOUT,
            hostPort == null
                ? "The new container did not keep running for the health check."
                : "GET "
                    + h.path()
                    + " on the new container did not answer 2xx or 3xx within "
                    + human(h.startPeriod().plus(h.deployTimeout()))
                    + " (last: "
                    + last
                    + "). Check that the app listens on port "
                    + spec.port()
                    + " and serves "
                    + h.path()
                    + ", or set health.path or health.deploy_timeout in the spec.");
      }
      sleep(h.interval());
    }
  }

  private HealthProbe.Result probeOnce(int hostPort, Health h) {
    try {
      return probe
          .check(hostPort, h.path(), h.timeout())
          .await(h.timeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return new HealthProbe.Result(false, "no answer within " + human(h.timeout()));
    } catch (Exception e) {
      return new HealthProbe.Result(false, e.toString());
    }
  }

  // ---- removal ----

  private void tearDown(Run run, AppRecord before) {
    enter(run, DeployPhase.SWITCH);
    long version = switchRoute(run.app, null);
    List<ContainerInfo> containers = listOwn(run.app);
    String upstream = before != null ? before.upstream() : null;
    if (upstream != null && !upstream.isEmpty() && containers.stream().anyMatch(c -> c.running())) {
      enter(run, DeployPhase.DRAIN);
      long start = System.nanoTime();
      long deadline = start + config.drainTimeout().toNanos();
      long graceEnd = start + config.drainGrace().toNanos();
      while (!drained(upstream, version, System.nanoTime() >= graceEnd)
          && System.nanoTime() < deadline) {
        sleep(TICK);
      }
    }
    enter(run, DeployPhase.REMOVE_OLD);
    for (ContainerInfo c : containers) {
      retire(c);
    }
    settle(run);
    publish(new AppRemoved(run.id, run.app, now()));
    await(store.removeApp(run.app), "remove the app");
    await(
        store.finish(
            run.app,
            run.id,
            new AppStore.Outcome(
                DeploymentHash.STATUS_REMOVED, DeployPhase.REMOVE_OLD, null, null)),
        "record");
    log.info(
        "app removed app={} deploymentId={} containers={}", run.app, run.id, containers.size());
  }

  // ---- recovery and self-heal ----

  /**
   * Brings every app the deployer knows back to one healthy live container with its route; run once
   * at start, before any command. Apps whose state Redis lost come back from the deploy events on
   * Kafka.
   */
  public void recoverAll() {
    List<ContainerInfo> all =
        rethrow(() -> bounded(config.stepTimeout(), "listing containers", engine::listManaged));
    Set<String> apps = new TreeSet<>(await(store.apps(), "read apps"));
    Map<String, List<ContainerInfo>> byApp = new HashMap<>();
    for (ContainerInfo c : all) {
      if (c.app() != null && Names.isValidApp(c.app())) {
        byApp.computeIfAbsent(c.app(), a -> new ArrayList<>()).add(c);
      }
    }
    List<String> unknown = new ArrayList<>();
    for (String app : byApp.keySet()) {
      if (!apps.contains(app) && await(store.load(app), "read the app") == null) {
        unknown.add(app);
      }
    }
    if (!unknown.isEmpty() && history != null) {
      // Either Redis lost this installation's state, or the containers are another
      // installation's on a shared engine: the deploy events of this installation tell which.
      Map<String, DeployHistory.AppHistory> histories = history.read();
      int foreign = 0;
      for (String app : unknown) {
        DeployHistory.AppHistory h = histories.get(app);
        if (h == null) {
          foreign++;
          continue;
        }
        ownDeployments.addAll(h.deployments());
        restore(app, h, byApp.get(app));
        apps.add(app);
      }
      if (foreign > 0) {
        log.info("containers of apps this installation never deployed left alone apps={}", foreign);
      }
    }
    for (String app : apps) {
      try {
        converge(app, "deployer start");
      } catch (RuntimeException e) {
        log.error("recovery failed app={} error=\"{}\"", app, e.toString(), e);
      }
    }
    log.info("recovery done apps={}", apps.size());
  }

  private void restore(
      String app, DeployHistory.AppHistory history, List<ContainerInfo> containers) {
    if (history.live() == null) {
      log.warn("app state lost and nothing live in its deploy events app={}", app);
      if (history.interrupted() != null) {
        // Reported failed by convergence: the hash names it.
        await(
            store.restore(
                new AppRecord(
                    app,
                    null,
                    0,
                    null,
                    null,
                    null,
                    null,
                    0,
                    true,
                    null,
                    history.interrupted(),
                    null),
                List.of()),
            "restore");
      }
      return;
    }
    DeploySucceeded live = history.live();
    ContainerInfo container =
        containers.stream()
            .filter(c -> c.id().equals(live.containerId()))
            .findFirst()
            .or(
                () ->
                    containers.stream()
                        .filter(c -> c.revision() == live.revision() && c.running())
                        .findFirst())
            .orElse(null);
    Integer port = container == null ? null : container.hostPort(live.spec().port());
    AppRecord record =
        new AppRecord(
            app,
            live.spec(),
            live.revision(),
            history.liveDeployment(),
            container != null && container.color() != null
                ? Color.of(container.color())
                : live.color(),
            container != null ? container.id() : live.containerId(),
            port != null ? upstream(port) : live.upstream(),
            history.lastRevision(),
            selfHeal(live.spec()),
            AppHash.HEALTHY,
            history.interrupted(),
            history.firstAt());
    await(store.restore(record, history.revisions()), "restore");
    log.info(
        "app state rebuilt from deploy events app={} revision={} containerId={}",
        app,
        live.revision(),
        record.liveContainer());
  }

  /**
   * Makes reality match the app's record: one live container, running the live image and answering
   * on the routed upstream; every other container of the app removed. A stopped live container is
   * restarted; a missing one, or one running another image, is replaced by a fresh container of the
   * same revision.
   */
  public void converge(String app, String why) {
    AppRecord state = prepare(app);
    List<ContainerInfo> containers = listOwn(app);
    if (state == null || !state.hasLive()) {
      for (ContainerInfo c : containers) {
        log.info(
            "removing container of an attempt that never went live app={} containerId={}",
            app,
            c.id());
        retire(c);
      }
      return;
    }
    ContainerInfo live =
        listApp(app).stream()
            .filter(c -> c.id().equals(state.liveContainer()))
            .findFirst()
            .orElse(null);
    for (ContainerInfo c : containers) {
      if (live == null || !c.id().equals(live.id())) {
        log.info(
            "removing container that is not the live one app={} containerId={} deploymentId={}",
            app,
            c.id(),
            c.deployment());
        retire(c);
      }
    }
    boolean rightImage = live != null && state.spec().image().equals(live.image());
    if (live != null && live.running() && rightImage) {
      ensureRoute(state, live);
      return;
    }
    log.info(
        "repairing app={} why=\"{}\" liveContainer={} found={}",
        app,
        why,
        state.liveContainer(),
        live == null ? "missing" : live.state() + (rightImage ? "" : ", image " + live.image()));
    if (live != null && !live.running() && rightImage && restart(state, live)) {
      return;
    }
    Run run = new Run(newId(), app, DeploymentHash.KIND_RECONCILE, null, now());
    rollOut(run, prepare(app), new Target(state.spec(), state.liveRevision(), false, null), null);
  }

  /** Starts a stopped live container again; {@code false} when it does not come back healthy. */
  private boolean restart(AppRecord state, ContainerInfo live) {
    Run run = new Run(newId(), state.app(), DeploymentHash.KIND_RECONCILE, null, now());
    ownDeployments.add(run.id);
    publish(new DeployStarted(run.id, run.app, state.spec().strategy(), now()));
    await(
        store.begin(
            new AppStore.Start(
                run.id, run.app, run.kind, state.spec().strategy(), null, run.requestedAt, now())),
        "record");
    try {
      enter(run, DeployPhase.START);
      startContainer(live.id());
      ContainerInfo info =
          bounded(config.stepTimeout(), "inspecting the container", () -> inspect(live.id()));
      Integer port = info == null ? null : info.hostPort(state.spec().port());
      if (info == null || (state.spec().port() != null && port == null)) {
        throw new DeployFailure(
            DeployFailure.START_FAILED, "The restarted container published no port.");
      }
      String upstream = upstream(port);
      enter(run, DeployPhase.HEALTH_GATE);
      gate(live.id(), live.name(), port, state.spec());
      enter(run, DeployPhase.RECORD);
      await(store.updateLive(run.app, live.id(), upstream, AppHash.HEALTHY), "record");
      AppRecord now =
          state.withLive(
              state.spec(),
              state.liveRevision(),
              state.liveDeployment(),
              state.liveColor(),
              live.id(),
              upstream,
              state.selfHeal());
      announce(run, state.liveRevision(), now);
      enter(run, DeployPhase.SWITCH);
      switchRoute(run.app, upstream);
      settle(run);
      await(
          store.finish(
              run.app,
              run.id,
              new AppStore.Outcome(
                  DeploymentHash.STATUS_SUCCEEDED, DeployPhase.SWITCH, null, null)),
          "record");
      log.info("live container restarted app={} containerId={}", run.app, live.id());
      return true;
    } catch (DeployFailure | RuntimeException e) {
      DeployFailure failure =
          e instanceof DeployFailure f ? f : asFailure(run.phase, (RuntimeException) e);
      String message = failure.getMessage() + " A fresh container replaces it.";
      settleQuietly(run);
      publish(new DeployFailed(run.id, run.app, run.phase, failure.reason(), message, now()));
      await(
          store.finish(
              run.app,
              run.id,
              new AppStore.Outcome(
                  DeploymentHash.STATUS_FAILED, run.phase, failure.reason(), message)),
          "record");
      return false;
    }
  }

  private void ensureRoute(AppRecord state, ContainerInfo live) {
    String upstream = upstream(live.hostPort(state.spec().port()));
    if (!upstream.equals(Objects.requireNonNullElse(state.upstream(), ""))) {
      await(store.updateLive(state.app(), live.id(), upstream, AppHash.HEALTHY), "record");
    }
    String route = await(store.currentRoute(state.app()), "read the route");
    if (!upstream.equals(Objects.requireNonNullElse(route, ""))) {
      log.info("route repaired app={} was={} now={}", state.app(), route, upstream);
      switchRoute(state.app(), upstream);
    }
  }

  /** The app's record, after settling a deployment a dead deployer (or a failed try) left. */
  private AppRecord prepare(String app) {
    AppRecord state = await(store.load(app), "read the app");
    if (state != null && state.deploying() != null) {
      settleInterrupted(state);
      state = await(store.load(app), "read the app");
    }
    return state;
  }

  private void settleInterrupted(AppRecord state) {
    String id = state.deploying();
    DeploymentRecord record = await(store.deployment(id), "read the deployment");
    String kind =
        record != null && record.kind() != null ? record.kind() : DeploymentHash.KIND_DEPLOY;
    Run run =
        new Run(
            id,
            state.app(),
            kind,
            record != null ? record.buildId() : null,
            record != null && record.startedAt() != null ? record.startedAt() : now());
    run.phase = record != null ? record.phase() : null;
    ownDeployments.add(id);
    if (DeploymentHash.KIND_REMOVE.equals(kind)) {
      log.info("completing interrupted removal app={} deploymentId={}", state.app(), id);
      tearDown(run, state);
      return;
    }
    List<ContainerInfo> containers = listOwn(state.app());
    if (id.equals(state.liveDeployment())) {
      log.info(
          "completing interrupted deployment past its commit point app={} deploymentId={}"
              + " phase={}",
          state.app(),
          id,
          run.phase == null ? null : run.phase.wire());
      if (record == null || !record.announced()) {
        long from =
            containers.stream()
                .filter(c -> !c.id().equals(state.liveContainer()))
                .mapToLong(ContainerInfo::revision)
                .max()
                .orElse(0);
        announce(run, from, state);
      }
      enter(run, DeployPhase.SWITCH);
      switchRoute(state.app(), state.upstream());
      enter(run, DeployPhase.REMOVE_OLD);
      for (ContainerInfo c : containers) {
        if (!c.id().equals(state.liveContainer())) {
          retire(c);
        }
      }
      settle(run);
      await(
          store.finish(
              state.app(),
              id,
              new AppStore.Outcome(
                  DeploymentHash.STATUS_SUCCEEDED, DeployPhase.REMOVE_OLD, null, null)),
          "record");
      return;
    }
    for (ContainerInfo c : containers) {
      if (id.equals(c.deployment()) && !c.id().equals(state.liveContainer())) {
        removeQuietly(c.id());
      }
    }
    String message =
        "The deployer stopped while deployment "
            + id
            + " was in phase "
            + (run.phase == null ? "start" : run.phase.wire())
            + ", before it went live; "
            + (state.hasLive()
                ? "revision " + state.liveRevision() + " of app " + state.app() + " kept serving."
                : "app " + state.app() + " has no live revision.")
            + " Deploy again.";
    log.warn("interrupted deployment failed app={} deploymentId={}", state.app(), id);
    publish(
        new DeployFailed(id, state.app(), run.phase, DeployFailure.INTERRUPTED, message, now()));
    await(
        store.finish(
            state.app(),
            id,
            new AppStore.Outcome(
                DeploymentHash.STATUS_FAILED, run.phase, DeployFailure.INTERRUPTED, message)),
        "record");
  }

  // ---- steps ----

  /**
   * Moves the run to {@code phase}. Its event and record go out while the phase's step runs: a
   * phase is a report, not a step the roll-out depends on, and waiting for the broker and Redis at
   * every phase adds up to most of a deploy's own time. Each phase's writes start once the previous
   * phase's landed, so phases arrive in order; {@link #settle} waits for them all before the commit
   * point and before any outcome is announced or written, and a write that failed fails the
   * roll-out there, as it would have here.
   */
  private void enter(Run run, DeployPhase phase) {
    run.phase = phase;
    Instant at = now();
    run.phaseRecorded =
        run.phaseRecorded.compose(
            v ->
                Future.all(
                    events.publish(new DeployPhaseChanged(run.id, run.app, phase, at)),
                    store.phase(run.id, phase)));
    log.info("deploy phase app={} deploymentId={} phase={}", run.app, run.id, phase.wire());
  }

  /** Waits for the last phase's event and record; throws when either failed. */
  private void settle(Run run) {
    Future<?> pending = run.phaseRecorded;
    run.phaseRecorded = Future.succeededFuture();
    await(pending, "record the phase " + (run.phase == null ? "" : run.phase.wire()));
    run.lap("phase " + (run.phase == null ? "-" : run.phase.wire()) + " recorded");
  }

  /**
   * {@link #settle} for paths that report an outcome anyway: a lost phase record is only logged.
   */
  private void settleQuietly(Run run) {
    try {
      settle(run);
    } catch (RuntimeException e) {
      log.warn(
          "phase record failed app={} deploymentId={} error=\"{}\"", run.app, run.id, e.toString());
    }
  }

  private void validate(DeploySpec spec, String app) throws DeployFailure {
    List<String> problems = new ArrayList<>();
    if (!app.equals(spec.app())) {
      problems.add("spec.app is " + spec.app() + ", not " + app);
    }
    if (!Names.isValidApp(app)) {
      problems.add("app name " + app + " is not a DNS label");
    }
    if (spec.image().isBlank() || spec.image().chars().anyMatch(Character::isWhitespace)) {
      problems.add("image must be an image reference without spaces");
    }
    if (spec.port() != null && (spec.port() < 1 || spec.port() > 65535)) {
      problems.add("port must be from 1 to 65535, not " + spec.port());
    }
    for (String volume : spec.volumes()) {
      if (!VOLUME.matcher(volume).matches()) {
        problems.add(
            "volume '" + volume + "' must be name:/path or name:/path:ro (named volumes only)");
      }
    }
    for (String name : spec.env().keySet()) {
      if (!ENV_NAME.matcher(name).matches()) {
        problems.add("env name '" + name + "' is not a variable name");
      }
    }
    if (!problems.isEmpty()) {
      throw new DeployFailure(
          DeployFailure.INVALID_SPEC, "The deploy spec cannot run: " + String.join("; ", problems));
    }
    // Opened here only to prove they can be, before anything stops or starts; the plain values
    // are dropped at once and opened again right before the container is created.
    try {
      SealedEnv.open(box, spec.env());
    } catch (SealedEnv.UnreadableEnvException e) {
      throw new DeployFailure(DeployFailure.ENV_UNREADABLE, e.getMessage() + ".");
    }
    List<String> plain = SealedEnv.plainNames(spec.env());
    if (!plain.isEmpty()) {
      log.warn("env values not sealed app={} names={}", app, plain);
    }
  }

  private void ensureImage(String image) throws DeployFailure {
    boolean present =
        bounded(config.stepTimeout(), "looking up the image", () -> engine.imagePresent(image));
    if (present) {
      return;
    }
    log.info("pulling image={} registry={}", image, ImageRef.parse(image).registry());
    failingAs(
        DeployFailure.IMAGE_PULL_FAILED,
        () ->
            bounded(
                config.pullTimeout().plus(Duration.ofSeconds(5)),
                "pulling " + image,
                () -> {
                  engine.pull(image, credentials.forImage(image), config.pullTimeout());
                  return null;
                }));
  }

  private ContainerSpec containerSpec(
      Run run, DeploySpec spec, long revision, Color color, String name) {
    Map<String, String> labels = new HashMap<>(spec.labels());
    labels.put(Labels.MANAGED, Labels.TRUE);
    labels.put(Labels.APP, run.app);
    labels.put(Labels.DEPLOYMENT, run.id);
    labels.put(Labels.REVISION, Long.toString(revision));
    labels.put(Labels.COLOR, color.wire());
    labels.put(Labels.ROLE, ROLE_WEB);
    DeploySpec.Resources resources = spec.resources();
    return new ContainerSpec(
        name,
        spec.image(),
        labels,
        SealedEnv.open(box, spec.env()),
        spec.command(),
        spec.port(),
        spec.volumes(),
        resources != null && resources.cpus() != null
            ? Math.round(resources.cpus() * 1_000_000_000d)
            : null,
        resources != null ? resources.memoryBytes() : null);
  }

  /** Stops a container gracefully, then removes it; failures are logged, not thrown. */
  private void retire(ContainerInfo c) {
    long start = System.nanoTime();
    try {
      bounded(
          config.stopTimeout().plus(config.stepTimeout()),
          "stopping " + c.name(),
          () -> {
            if (c.running()) {
              engine.stop(c.id(), config.stopTimeout());
            }
            engine.remove(c.id());
            return null;
          });
      log.info(
          "container removed app={} containerId={} name={} tookMs={}",
          c.app(),
          c.id(),
          c.name(),
          Duration.ofNanos(System.nanoTime() - start).toMillis());
    } catch (DeployFailure | RuntimeException e) {
      log.warn("container removal failed containerId={} error=\"{}\"", c.id(), e.getMessage());
    }
  }

  private void removeQuietly(String containerId) {
    try {
      bounded(
          config.stepTimeout(),
          "removing " + containerId,
          () -> {
            engine.remove(containerId);
            return null;
          });
      log.info("container removed containerId={}", containerId);
    } catch (DeployFailure | RuntimeException e) {
      log.warn("container removal failed containerId={} error=\"{}\"", containerId, e.getMessage());
    }
  }

  private ContainerInfo inspect(String id) {
    return engine.inspect(id).orElse(null);
  }

  private ContainerInfo inspectQuietly(String id) {
    try {
      return bounded(config.stepTimeout(), "inspecting " + id, () -> inspect(id));
    } catch (DeployFailure | RuntimeException e) {
      return null;
    }
  }

  private List<ContainerInfo> listApp(String app) {
    return rethrow(
        () -> bounded(config.stepTimeout(), "listing containers", () -> engine.listApp(app)));
  }

  /** The app's containers that this installation created: their deployment is one of ours. */
  private List<ContainerInfo> listOwn(String app) {
    List<ContainerInfo> own = new ArrayList<>();
    for (ContainerInfo c : listApp(app)) {
      String deployment = c.deployment();
      if (deployment == null || !Names.isValidId(deployment)) {
        continue;
      }
      if (ownDeployments.contains(deployment)
          || await(store.deployment(deployment), "read the deployment") != null) {
        ownDeployments.add(deployment);
        own.add(c);
      } else {
        log.info(
            "container of another installation left alone app={} containerId={} deploymentId={}",
            app,
            c.id(),
            deployment);
      }
    }
    return own;
  }

  private boolean ended(String deploymentId) {
    DeploymentRecord record = await(store.deployment(deploymentId), "read the deployment");
    if (record != null && record.ended()) {
      log.info(
          "deployment already ended, skipping deploymentId={} status={}",
          deploymentId,
          record.status());
      return true;
    }
    return false;
  }

  private boolean selfHeal(DeploySpec spec) {
    return spec.selfHeal() != null ? spec.selfHeal() : config.selfHeal();
  }

  private static AppRecord emptyApp(String app) {
    return new AppRecord(app, null, 0, null, null, null, null, 0, true, null, null, null);
  }

  static String upstream(Integer hostPort) {
    return hostPort == null ? "" : VertxHealthProbe.HOST + ":" + hostPort;
  }

  private static Integer hostPortOf(String upstream) {
    if (upstream == null || upstream.isEmpty()) {
      return null;
    }
    return Integer.valueOf(upstream.substring(upstream.lastIndexOf(':') + 1));
  }

  private static String newId() {
    return "reconcile-" + UUID.randomUUID().toString().substring(0, 13);
  }

  private Instant now() {
    return clock.instant();
  }

  // ---- plumbing ----

  private void publish(DeployEvent event) {
    await(events.publish(event), "publish " + event.type());
  }

  private <T> T await(Future<T> future, String what) {
    try {
      return future.await(config.stepTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "could not " + what + " within " + human(config.stepTimeout()), e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("could not " + what + ": " + e.getMessage(), e);
    }
  }

  /** Starts a created or stopped container within the step timeout, failing as START_FAILED. */
  private void startContainer(String containerId) throws DeployFailure {
    failingAs(
        DeployFailure.START_FAILED,
        () ->
            bounded(
                config.stepTimeout(),
                "starting the container",
                () -> {
                  engine.start(containerId);
                  return null;
                }));
  }

  /**
   * Runs a blocking engine call on its own virtual thread and waits at most {@code timeout}. The
   * call may go on after a timeout (the engine cannot be interrupted); whatever it creates carries
   * the deployment's label and is removed with the attempt.
   */
  private <T> T bounded(Duration timeout, String what, Callable<T> work) throws DeployFailure {
    return join(fork(work), timeout, what);
  }

  /** Starts a blocking engine call on a virtual thread of its own; {@link #join} bounds it. */
  private static <T> FutureTask<T> fork(Callable<T> work) {
    FutureTask<T> task = new FutureTask<>(work);
    Thread.ofVirtual().name("slipway-deploy-step").start(task);
    return task;
  }

  /** Waits at most {@code timeout} for a {@link #fork}ed call, as {@link #bounded} does. */
  private static <T> T join(FutureTask<T> task, Duration timeout, String what)
      throws DeployFailure {
    try {
      return task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      task.cancel(true);
      throw new DeployFailure(
          DeployFailure.STEP_TIMEOUT, what + " did not finish within " + human(timeout) + ".");
    } catch (InterruptedException e) {
      task.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + what, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof DeployFailure f) {
        throw f;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(what + " failed: " + cause, cause);
    }
  }

  @FunctionalInterface
  private interface Step<T> {
    T run() throws DeployFailure;
  }

  /** Engine errors of a step become a failure with the step's reason and the engine's words. */
  private static <T> T failingAs(String reason, Step<T> step) throws DeployFailure {
    try {
      return step.run();
    } catch (RuntimeException e) {
      throw new DeployFailure(reason, sentence(e.getMessage()), e);
    }
  }

  private static <T> T rethrow(Step<T> step) {
    try {
      return step.run();
    } catch (DeployFailure f) {
      throw new IllegalStateException(f.getMessage(), f);
    }
  }

  private static DeployFailure asFailure(DeployPhase phase, RuntimeException e) {
    String reason =
        phase == null
            ? DeployFailure.INVALID_SPEC
            : switch (phase) {
              case PULL -> DeployFailure.IMAGE_PULL_FAILED;
              case CREATE -> DeployFailure.CREATE_FAILED;
              case START -> DeployFailure.START_FAILED;
              case RECORD -> DeployFailure.RECORD_FAILED;
              case VALIDATE -> DeployFailure.INVALID_SPEC;
              default -> DeployFailure.INTERRUPTED;
            };
    return new DeployFailure(reason, sentence(e.getMessage()), e);
  }

  private static String sentence(String message) {
    String m = message == null || message.isBlank() ? "unknown error" : message.trim();
    return m.endsWith(".") ? m : m + ".";
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
