package dev.slipway.reconciler.containers;

import dev.slipway.infra.events.ContainerEvent.DriftDetected;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DriftKind;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares each app's desired state with the containers that run and reports each difference once,
 * as a {@code dev.slipway.container.drift} event, until it clears; for an app with self-heal on it
 * also asks the deployer to reconcile. Apps with a deploy in flight are left alone: their
 * containers come and go on purpose.
 *
 * <p>Runs on the reconciler's context; checks of one app never overlap.
 */
public final class DriftDetector {

  private static final Logger log = LoggerFactory.getLogger(DriftDetector.class);

  /** One difference; equal drifts are the same drift, reported once. */
  public record Drift(DriftKind kind, String expected, String found, String containerId) {
    Key key() {
      return new Key(kind, containerId);
    }
  }

  private record Key(DriftKind kind, String containerId) {}

  private final DesiredStates desired;
  private final ContainerEventSink sink;
  private final ContainerStore feed;
  private final Supplier<Collection<ContainerEntry>> containers;
  private final Map<String, Set<Key>> reported = new HashMap<>();
  private final KeyedWorkQueue<String, Void> checks;

  /**
   * @param containers the reconciler's current view of the projection
   */
  public DriftDetector(
      DesiredStates desired,
      ContainerEventSink sink,
      ContainerStore feed,
      Supplier<Collection<ContainerEntry>> containers) {
    this.desired = desired;
    this.sink = sink;
    this.feed = feed;
    this.containers = containers;
    this.checks = new KeyedWorkQueue<>(4, (a, b) -> null, (app, ignored) -> check(app));
  }

  /** Checks every app the deployer knows. */
  public Future<Void> checkAll() {
    return desired
        .apps()
        .compose(
            apps ->
                Future.join(apps.stream().map(this::checkApp).toList())
                    .<Void>mapEmpty()
                    .recover(e -> Future.succeededFuture()));
  }

  /** Checks one app; a check already waiting for the app absorbs this one. */
  public Future<Void> checkApp(String app) {
    return checks.add(app, null);
  }

  public void close() {
    checks.close();
  }

  private Future<Void> check(String app) {
    return desired
        .app(app)
        .compose(
            state -> {
              if (state == null) {
                reported.remove(app);
                return Future.succeededFuture();
              }
              if (state.deployInFlight()) {
                return Future.succeededFuture();
              }
              List<ContainerEntry> ofApp =
                  containers.get().stream().filter(c -> app.equals(c.app())).toList();
              return report(state, detect(state, ofApp));
            })
        .onFailure(e -> log.warn("drift check failed app={} reason=\"{}\"", app, e.toString()));
  }

  private Future<Void> report(AppState app, List<Drift> drifts) {
    Set<Key> before = reported.getOrDefault(app.name(), Set.of());
    Set<Key> now =
        drifts.stream().map(Drift::key).collect(Collectors.toCollection(LinkedHashSet::new));
    // Cleared drifts are forgotten, so one that comes back is reported again.
    Set<Key> kept = new LinkedHashSet<>(before);
    kept.retainAll(now);
    reported.put(app.name(), kept);
    List<Drift> fresh = drifts.stream().filter(d -> !before.contains(d.key())).toList();
    Future<Void> chain = Future.succeededFuture();
    Instant at = Instant.now();
    for (Drift drift : fresh) {
      DriftDetected event =
          new DriftDetected(
              app.name(), drift.kind(), drift.expected(), drift.found(), drift.containerId(), at);
      chain =
          chain
              .compose(v -> sink.publish(event))
              .compose(v -> feed.appendFeed(List.of(ContainerChanges.feedEntry(event, null, null))))
              .compose(
                  v -> {
                    kept.add(drift.key());
                    log.info(
                        "drift detected app={} kind={} expected=\"{}\" found=\"{}\" containerId={}"
                            + " selfHeal={}",
                        app.name(),
                        drift.kind().wire(),
                        drift.expected(),
                        drift.found(),
                        drift.containerId(),
                        app.selfHeal());
                    if (!app.selfHeal()) {
                      return Future.succeededFuture();
                    }
                    return sink.requestReconcile(
                        new ReconcileRequested(app.name(), reason(drift), Instant.now()));
                  });
    }
    return chain;
  }

  private static String reason(Drift drift) {
    return drift.kind().wire()
        + ": expected "
        + drift.expected()
        + ", found "
        + drift.found()
        + (drift.containerId() != null ? " (container " + drift.containerId() + ")" : "");
  }

  /**
   * The drift rules, applied to one app and the projection entries of its containers.
   *
   * <ul>
   *   <li>{@code missing}: the live container is gone from the engine;
   *   <li>{@code stopped}: the live container exists but does not run;
   *   <li>{@code image_differs}: the live container runs another image than the desired one;
   *   <li>{@code unexpected}: a managed container of the app that is not the live one.
   * </ul>
   */
  public static List<Drift> detect(AppState app, Collection<ContainerEntry> containers) {
    List<Drift> drifts = new ArrayList<>();
    if (app.deployInFlight()) {
      return drifts;
    }
    String live = app.liveContainer();
    ContainerEntry liveEntry = null;
    if (live != null) {
      liveEntry = containers.stream().filter(c -> isContainer(c, live)).findFirst().orElse(null);
      if (liveEntry == null || liveEntry.isMissing()) {
        drifts.add(new Drift(DriftKind.MISSING, live, "none", live));
      } else if (!liveEntry.isRunning()) {
        drifts.add(new Drift(DriftKind.STOPPED, "running", liveEntry.state(), liveEntry.id()));
      } else if (app.image() != null && !sameImage(app.image(), liveEntry)) {
        drifts.add(
            new Drift(
                DriftKind.IMAGE_DIFFERS,
                app.image(),
                Objects.requireNonNullElse(liveEntry.image(), "unknown"),
                liveEntry.id()));
      }
    }
    for (ContainerEntry c : containers) {
      if (c.isMissing()
          || c.state() == null
          || c == liveEntry
          || (live != null && isContainer(c, live))) {
        continue;
      }
      drifts.add(
          new Drift(
              DriftKind.UNEXPECTED,
              live != null ? live : "none",
              c.name() != null ? c.name() : c.id(),
              c.id()));
    }
    return drifts;
  }

  // The deployer may record a short id; docker accepts any unique prefix of 12 or more.
  private static boolean isContainer(ContainerEntry c, String id) {
    return c.id().equals(id) || (id.length() >= 12 && c.id().startsWith(id));
  }

  static boolean sameImage(String desired, ContainerEntry entry) {
    if (desired.equals(entry.image()) || desired.equals(entry.imageId())) {
      return true;
    }
    return entry.image() != null && normalize(desired).equals(normalize(entry.image()));
  }

  /** {@code web} and {@code docker.io/library/web:latest} name the same image. */
  static String normalize(String ref) {
    String r = ref.trim();
    if (r.startsWith("docker.io/library/")) {
      r = r.substring("docker.io/library/".length());
    } else if (r.startsWith("docker.io/")) {
      r = r.substring("docker.io/".length());
    }
    if (r.contains("@")) {
      return r;
    }
    int slash = r.lastIndexOf('/');
    return r.indexOf(':', slash + 1) >= 0 ? r : r + ":latest";
  }
}
