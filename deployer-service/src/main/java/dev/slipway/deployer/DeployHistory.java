package dev.slipway.deployer;

import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.DeployEvent.AppRemoved;
import dev.slipway.infra.events.DeployEvent.DeployFailed;
import dev.slipway.infra.events.DeployEvent.DeployRolledBack;
import dev.slipway.infra.events.DeployEvent.DeployStarted;
import dev.slipway.infra.events.DeployEvent.DeploySucceeded;
import dev.slipway.infra.redis.RedisKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The deploy events on Kafka folded into what each app's state was: the source the deployer
 * rebuilds an app from when Redis lost it. {@code dev.slipway.deploy.succeeded} carries the whole
 * spec, so the live revision and the revision history come back without anything else.
 */
public interface DeployHistory {

  /** Every app's history, by app name; blocks while it reads. */
  Map<String, AppHistory> read();

  /**
   * One app's history.
   *
   * @param live the succeeded event of the live revision (after a rollback, the one that first put
   *     that revision live); {@code null} when nothing is live
   * @param liveDeployment the deployment that last made a revision live
   * @param revisions the newest revisions with their specs, at most {@link
   *     RedisKeys#REVISIONS_KEPT}
   * @param interrupted a deployment that started and has no outcome, {@code null} when none
   * @param firstAt when the app's first revision went live
   * @param deployments every deployment of the app since it was last removed: the containers
   *     labelled with one of them are this installation's
   */
  record AppHistory(
      DeploySucceeded live,
      String liveDeployment,
      long lastRevision,
      List<RevisionEntry> revisions,
      String interrupted,
      Instant firstAt,
      Set<String> deployments) {}

  /** Folds events, in topic order, into each app's history. */
  static Map<String, AppHistory> fold(Iterable<DeployEvent> events) {
    Map<String, Folding> apps = new HashMap<>();
    for (DeployEvent event : events) {
      Folding app = apps.computeIfAbsent(event.app(), a -> new Folding());
      app.deployments.add(event.deploymentId());
      switch (event) {
        case AppRemoved removed -> {
          Folding fresh = new Folding();
          fresh.deployments.addAll(app.deployments);
          apps.put(event.app(), fresh);
        }
        case DeployStarted started -> app.open.add(started.deploymentId());
        case DeploySucceeded s -> {
          app.open.remove(s.deploymentId());
          app.succeeded.put(s.revision(), s);
          app.liveRevision = s.revision();
          app.liveDeployment = s.deploymentId();
          app.lastRevision = Math.max(app.lastRevision, s.revision());
          if (app.firstAt == null) {
            app.firstAt = s.at();
          }
        }
        case DeployRolledBack r -> {
          app.open.remove(r.deploymentId());
          app.liveRevision = r.toRevision();
          app.liveDeployment = r.deploymentId();
          app.lastRevision = Math.max(app.lastRevision, r.fromRevision());
        }
        case DeployFailed f -> app.open.remove(f.deploymentId());
        default -> {}
      }
    }
    Map<String, AppHistory> histories = new HashMap<>();
    apps.forEach((name, app) -> histories.put(name, app.history()));
    return histories;
  }

  /** The running fold of one app. */
  final class Folding {
    final Map<Long, DeploySucceeded> succeeded = new TreeMap<>();
    final Set<String> open = new LinkedHashSet<>();
    final Set<String> deployments = new HashSet<>();
    long liveRevision;
    String liveDeployment;
    long lastRevision;
    Instant firstAt;

    AppHistory history() {
      DeploySucceeded live = liveRevision > 0 ? succeeded.get(liveRevision) : null;
      List<RevisionEntry> revisions = new ArrayList<>();
      Set<Long> seen = new HashSet<>();
      succeeded.values().stream()
          .sorted(Comparator.comparingLong(DeploySucceeded::revision).reversed())
          .filter(s -> seen.add(s.revision()))
          .limit(RedisKeys.REVISIONS_KEPT)
          .forEach(
              s ->
                  revisions.add(
                      new RevisionEntry(s.revision(), s.deploymentId(), null, s.spec(), s.at())));
      String interrupted = open.isEmpty() ? null : List.copyOf(open).getLast();
      return new AppHistory(
          live,
          liveDeployment,
          lastRevision,
          revisions,
          interrupted,
          firstAt,
          Set.copyOf(deployments));
    }
  }
}
