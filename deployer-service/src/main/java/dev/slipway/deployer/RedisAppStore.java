package dev.slipway.deployer;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.slipway.infra.events.Color;
import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link AppStore} in Redis. Multi-key writes go in one {@code MULTI}/{@code EXEC} on one
 * connection, so a reader never sees an app live without its revision or its deployment; the route
 * change is one Lua script, so the routes table, its version and the announcement never disagree.
 */
public final class RedisAppStore implements AppStore {

  private static final Logger log = LoggerFactory.getLogger(RedisAppStore.class);

  /**
   * Field names of an edge report, as the gateway's edge router writes them ({@link
   * RedisKeys#edge(String)}).
   */
  static final String EDGE_VERSION = "version";

  static final String EDGE_INFLIGHT_PREFIX = "inflight:";

  private static final String ROUTE_SCRIPT =
      """
      if ARGV[2] == '' then
        redis.call('HDEL', KEYS[1], ARGV[1])
      else
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      end
      local version = redis.call('INCR', KEYS[2])
      redis.call('PUBLISH', ARGV[3], tostring(version))
      return version
      """;

  private final Redis redis;
  private final RedisKeys keys;
  private final long timeoutMs;

  public RedisAppStore(Redis redis, RedisKeys keys, Duration timeout) {
    this.redis = redis;
    this.keys = keys;
    this.timeoutMs = timeout.toMillis();
  }

  @Override
  public Future<AppRecord> load(String app) {
    return send(Request.cmd(Command.HGETALL).arg(keys.app(app)))
        .map(r -> appRecord(app, RedisReplies.hash(r)));
  }

  @Override
  public Future<Set<String>> apps() {
    return send(Request.cmd(Command.SMEMBERS).arg(keys.apps()))
        .map(r -> new HashSet<>(RedisReplies.strings(r)));
  }

  @Override
  public Future<Map<Long, RevisionEntry>> revisions(String app) {
    return send(Request.cmd(Command.HGETALL).arg(keys.appRevisions(app)))
        .map(
            r -> {
              Map<Long, RevisionEntry> entries = new TreeMap<>();
              RedisReplies.hash(r)
                  .forEach(
                      (field, json) -> {
                        try {
                          RevisionEntry entry = Json.mapper().readValue(json, RevisionEntry.class);
                          entries.put(entry.revision(), entry);
                        } catch (JsonProcessingException | RuntimeException e) {
                          log.warn(
                              "unreadable revision skipped app={} revision={} error=\"{}\"",
                              app,
                              field,
                              e.getMessage());
                        }
                      });
              return entries;
            });
  }

  @Override
  public Future<DeploymentRecord> deployment(String deploymentId) {
    return send(Request.cmd(Command.HGETALL).arg(keys.deployment(deploymentId)))
        .map(r -> deploymentRecord(deploymentId, RedisReplies.hash(r)));
  }

  @Override
  public Future<Void> begin(Start start) {
    String deployment = keys.deployment(start.deploymentId());
    List<Request> tx = new ArrayList<>();
    tx.add(
        hset(
            keys.app(start.app()),
            AppHash.DEPLOY_IN_FLIGHT,
            AppHash.TRUE,
            AppHash.DEPLOYING,
            start.deploymentId()));
    Map<String, String> fields = new HashMap<>();
    fields.put(DeploymentHash.APP, start.app());
    fields.put(DeploymentHash.KIND, start.kind());
    fields.put(DeploymentHash.STATUS, DeploymentHash.STATUS_RUNNING);
    fields.put(DeploymentHash.STARTED_AT, start.startedAt().toString());
    if (start.strategy() != null) {
      fields.put(DeploymentHash.STRATEGY, start.strategy().wire());
    }
    if (start.buildId() != null) {
      fields.put(DeploymentHash.BUILD_ID, start.buildId());
    }
    tx.add(hset(deployment, fields));
    tx.add(Request.cmd(Command.PERSIST).arg(deployment));
    // Listed while its first deploy runs; finish() takes it out again if nothing went live.
    tx.add(Request.cmd(Command.SADD).arg(keys.apps()).arg(start.app()));
    tx.addAll(indexDeployment(start.app(), start.deploymentId(), start.requestedAt()));
    return transaction(tx);
  }

  @Override
  public Future<Void> phase(String deploymentId, DeployPhase phase) {
    return send(hset(keys.deployment(deploymentId), DeploymentHash.PHASE, phase.wire())).mapEmpty();
  }

  @Override
  public Future<Void> commit(AppRecord live, RevisionEntry newRevision, String deploymentId) {
    String revisionsKey = keys.appRevisions(live.app());
    return send(Request.cmd(Command.HKEYS).arg(revisionsKey))
        .compose(
            existing -> {
              List<Request> tx = new ArrayList<>();
              tx.add(hset(keys.app(live.app()), appFields(live)));
              tx.add(
                  Request.cmd(Command.HSETNX)
                      .arg(keys.app(live.app()))
                      .arg(AppHash.CREATED_AT)
                      .arg(Instant.now().toString()));
              tx.add(Request.cmd(Command.SADD).arg(keys.apps()).arg(live.app()));
              if (newRevision != null) {
                tx.add(
                    hset(
                        revisionsKey,
                        Long.toString(newRevision.revision()),
                        Json.toString(newRevision)));
                List<Long> kept = new ArrayList<>();
                if (existing != null) {
                  existing.forEach(f -> kept.add(Long.parseLong(f.toString())));
                }
                kept.add(newRevision.revision());
                kept.sort(null);
                int excess = kept.size() - RedisKeys.REVISIONS_KEPT;
                if (excess > 0) {
                  Request hdel = Request.cmd(Command.HDEL).arg(revisionsKey);
                  kept.subList(0, excess).forEach(r -> hdel.arg(Long.toString(r)));
                  tx.add(hdel);
                }
              }
              if (deploymentId != null) {
                Map<String, String> deployment = new HashMap<>();
                deployment.put(DeploymentHash.REVISION, Long.toString(live.liveRevision()));
                deployment.put(DeploymentHash.COLOR, live.liveColor().wire());
                deployment.put(DeploymentHash.CONTAINER, live.liveContainer());
                deployment.put(DeploymentHash.UPSTREAM, nullToEmpty(live.upstream()));
                tx.add(hset(keys.deployment(deploymentId), deployment));
              }
              return transaction(tx);
            });
  }

  @Override
  public Future<Void> announced(String deploymentId) {
    return send(hset(keys.deployment(deploymentId), DeploymentHash.ANNOUNCED, AppHash.TRUE))
        .mapEmpty();
  }

  @Override
  public Future<Void> finish(String app, String deploymentId, Outcome outcome) {
    String appKey = keys.app(app);
    return send(Request.cmd(Command.HGET).arg(appKey).arg(AppHash.LIVE_REVISION))
        .compose(
            liveRevision -> {
              List<Request> tx = new ArrayList<>();
              String deployment = keys.deployment(deploymentId);
              Map<String, String> fields = new HashMap<>();
              fields.put(DeploymentHash.STATUS, outcome.status());
              fields.put(DeploymentHash.FINISHED_AT, Instant.now().toString());
              if (outcome.phase() != null) {
                fields.put(DeploymentHash.PHASE, outcome.phase().wire());
              }
              if (outcome.reason() != null) {
                fields.put(DeploymentHash.REASON, outcome.reason());
              }
              if (outcome.message() != null) {
                fields.put(DeploymentHash.MESSAGE, outcome.message());
              }
              tx.add(hset(deployment, fields));
              tx.add(
                  Request.cmd(Command.EXPIRE)
                      .arg(deployment)
                      .arg(DeploymentHash.RETENTION_SECONDS));
              if (number(liveRevision == null ? null : liveRevision.toString()) == 0) {
                // Nothing ever went live: no app to keep.
                tx.add(Request.cmd(Command.DEL).arg(appKey));
                tx.add(Request.cmd(Command.SREM).arg(keys.apps()).arg(app));
              } else {
                tx.add(hset(appKey, AppHash.DEPLOY_IN_FLIGHT, AppHash.FALSE));
                tx.add(Request.cmd(Command.HDEL).arg(appKey).arg(AppHash.DEPLOYING));
              }
              return transaction(tx);
            });
  }

  @Override
  public Future<Void> superseded(
      String app, String deploymentId, String by, String message, Instant requestedAt) {
    String deployment = keys.deployment(deploymentId);
    Map<String, String> fields = new HashMap<>();
    fields.put(DeploymentHash.APP, app);
    fields.put(DeploymentHash.STATUS, DeploymentHash.STATUS_SUPERSEDED);
    fields.put(DeploymentHash.SUPERSEDED_BY, by);
    fields.put(DeploymentHash.REASON, DeployFailure.SUPERSEDED);
    fields.put(DeploymentHash.MESSAGE, message);
    fields.put(DeploymentHash.FINISHED_AT, Instant.now().toString());
    List<Request> tx = new ArrayList<>();
    tx.add(hset(deployment, fields));
    tx.add(Request.cmd(Command.EXPIRE).arg(deployment).arg(DeploymentHash.RETENTION_SECONDS));
    tx.addAll(indexDeployment(app, deploymentId, requestedAt));
    return transaction(tx);
  }

  @Override
  public Future<Long> route(String app, String upstream) {
    return send(Request.cmd(Command.EVAL)
            .arg(ROUTE_SCRIPT)
            .arg(2)
            .arg(keys.routes())
            .arg(keys.routesVersion())
            .arg(app)
            .arg(nullToEmpty(upstream))
            .arg(keys.routesChannel()))
        .map(Response::toLong);
  }

  @Override
  public Future<String> currentRoute(String app) {
    return send(Request.cmd(Command.HGET).arg(keys.routes()).arg(app))
        .map(r -> r == null ? null : r.toString());
  }

  @Override
  public Future<List<EdgeReport>> edges() {
    return scanEdges("0", new ArrayList<>())
        .compose(
            names ->
                Future.all(
                        names.stream()
                            .map(
                                key ->
                                    send(Request.cmd(Command.HGETALL).arg(key))
                                        .map(r -> edgeReport(key, RedisReplies.hash(r))))
                            .toList())
                    .map(
                        all -> {
                          List<EdgeReport> reports = new ArrayList<>();
                          for (int i = 0; i < all.size(); i++) {
                            EdgeReport report = all.resultAt(i);
                            if (report != null) {
                              reports.add(report);
                            }
                          }
                          return reports;
                        }));
  }

  private Future<List<String>> scanEdges(String cursor, List<String> found) {
    return send(Request.cmd(Command.SCAN)
            .arg(cursor)
            .arg("MATCH")
            .arg(keys.edgePattern())
            .arg("COUNT")
            .arg(200))
        .compose(
            r -> {
              r.get(1).forEach(k -> found.add(k.toString()));
              String next = r.get(0).toString();
              return "0".equals(next) ? Future.succeededFuture(found) : scanEdges(next, found);
            });
  }

  @Override
  public Future<Void> updateLive(String app, String containerId, String upstream, String health) {
    return send(hset(
            keys.app(app),
            Map.of(
                AppHash.LIVE_CONTAINER,
                containerId,
                AppHash.UPSTREAM,
                nullToEmpty(upstream),
                AppHash.HEALTH,
                health,
                AppHash.UPDATED_AT,
                Instant.now().toString())))
        .mapEmpty();
  }

  @Override
  public Future<Void> removeApp(String app) {
    return transaction(
        List.of(
            Request.cmd(Command.DEL)
                .arg(keys.app(app))
                .arg(keys.appRevisions(app))
                .arg(keys.appDeployments(app)),
            Request.cmd(Command.SREM).arg(keys.apps()).arg(app),
            Request.cmd(Command.HDEL).arg(keys.routes()).arg(app)));
  }

  @Override
  public Future<Void> restore(AppRecord app, Collection<RevisionEntry> revisions) {
    List<Request> tx = new ArrayList<>();
    tx.add(Request.cmd(Command.DEL).arg(keys.app(app.app())).arg(keys.appRevisions(app.app())));
    Map<String, String> fields = appFields(app);
    if (app.createdAt() != null) {
      fields.put(AppHash.CREATED_AT, app.createdAt().toString());
    }
    if (app.deploying() != null) {
      fields.put(AppHash.DEPLOY_IN_FLIGHT, AppHash.TRUE);
      fields.put(AppHash.DEPLOYING, app.deploying());
    }
    tx.add(hset(keys.app(app.app()), fields));
    if (!revisions.isEmpty()) {
      Map<String, String> history = new HashMap<>();
      revisions.forEach(r -> history.put(Long.toString(r.revision()), Json.toString(r)));
      tx.add(hset(keys.appRevisions(app.app()), history));
    }
    if (app.hasLive()) {
      tx.add(Request.cmd(Command.SADD).arg(keys.apps()).arg(app.app()));
    }
    return transaction(tx);
  }

  // ---- mapping ----

  private static Map<String, String> appFields(AppRecord live) {
    Map<String, String> fields = new HashMap<>();
    if (live.spec() != null) {
      fields.put(AppHash.IMAGE, live.spec().image());
      fields.put(AppHash.SPEC, Json.toString(live.spec()));
    }
    fields.put(AppHash.LIVE_REVISION, Long.toString(live.liveRevision()));
    fields.put(AppHash.LAST_REVISION, Long.toString(live.lastRevision()));
    fields.put(AppHash.LIVE_DEPLOYMENT, nullToEmpty(live.liveDeployment()));
    fields.put(AppHash.LIVE_COLOR, live.liveColor() == null ? "" : live.liveColor().wire());
    fields.put(AppHash.LIVE_CONTAINER, nullToEmpty(live.liveContainer()));
    fields.put(AppHash.UPSTREAM, nullToEmpty(live.upstream()));
    fields.put(AppHash.SELF_HEAL, live.selfHeal() ? AppHash.TRUE : AppHash.FALSE);
    fields.put(AppHash.HEALTH, live.health() == null ? AppHash.HEALTHY : live.health());
    fields.put(AppHash.UPDATED_AT, Instant.now().toString());
    return fields;
  }

  static AppRecord appRecord(String app, Map<String, String> hash) {
    if (hash.isEmpty()) {
      return null;
    }
    DeploySpec spec = null;
    String specJson = blankToNull(hash.get(AppHash.SPEC));
    if (specJson != null) {
      try {
        spec = Json.mapper().readValue(specJson, DeploySpec.class);
      } catch (JsonProcessingException | RuntimeException e) {
        log.warn("unreadable app spec app={} error=\"{}\"", app, e.getMessage());
      }
    }
    String color = blankToNull(hash.get(AppHash.LIVE_COLOR));
    String created = blankToNull(hash.get(AppHash.CREATED_AT));
    return new AppRecord(
        app,
        spec,
        number(hash.get(AppHash.LIVE_REVISION)),
        blankToNull(hash.get(AppHash.LIVE_DEPLOYMENT)),
        color == null ? null : Color.of(color),
        blankToNull(hash.get(AppHash.LIVE_CONTAINER)),
        blankToNull(hash.get(AppHash.UPSTREAM)),
        number(hash.get(AppHash.LAST_REVISION)),
        !AppHash.FALSE.equals(hash.get(AppHash.SELF_HEAL)),
        blankToNull(hash.get(AppHash.HEALTH)),
        AppHash.TRUE.equals(hash.get(AppHash.DEPLOY_IN_FLIGHT))
            ? blankToNull(hash.get(AppHash.DEPLOYING))
            : null,
        created == null ? null : Instant.parse(created));
  }

  private static DeploymentRecord deploymentRecord(String id, Map<String, String> hash) {
    if (hash.isEmpty()) {
      return null;
    }
    String phase = blankToNull(hash.get(DeploymentHash.PHASE));
    String strategy = blankToNull(hash.get(DeploymentHash.STRATEGY));
    String started = blankToNull(hash.get(DeploymentHash.STARTED_AT));
    return new DeploymentRecord(
        id,
        hash.get(DeploymentHash.APP),
        hash.get(DeploymentHash.KIND),
        strategy == null ? null : DeploySpec.Strategy.of(strategy),
        hash.get(DeploymentHash.STATUS),
        phase == null ? null : DeployPhase.of(phase),
        AppHash.TRUE.equals(hash.get(DeploymentHash.ANNOUNCED)),
        blankToNull(hash.get(DeploymentHash.BUILD_ID)),
        started == null ? null : Instant.parse(started));
  }

  private EdgeReport edgeReport(String key, Map<String, String> hash) {
    if (hash.isEmpty()) {
      return null; // expired between SCAN and HGETALL
    }
    Map<String, Long> inflight = new HashMap<>();
    hash.forEach(
        (field, value) -> {
          if (field.startsWith(EDGE_INFLIGHT_PREFIX)) {
            inflight.put(field.substring(EDGE_INFLIGHT_PREFIX.length()), number(value));
          }
        });
    String instance = key.substring(keys.edgePattern().length() - 1);
    return new EdgeReport(instance, number(hash.get(EDGE_VERSION)), inflight);
  }

  // ---- plumbing ----

  private List<Request> indexDeployment(String app, String deploymentId, Instant requestedAt) {
    String index = keys.appDeployments(app);
    return List.of(
        Request.cmd(Command.ZADD).arg(index).arg(requestedAt.toEpochMilli()).arg(deploymentId),
        Request.cmd(Command.ZREMRANGEBYRANK)
            .arg(index)
            .arg(0)
            .arg(-(RedisKeys.DEPLOYMENTS_KEPT + 1)));
  }

  private Future<Void> transaction(List<Request> commands) {
    List<Request> batch = new ArrayList<>(commands.size() + 2);
    batch.add(Request.cmd(Command.MULTI));
    batch.addAll(commands);
    batch.add(Request.cmd(Command.EXEC));
    return redis
        .batch(batch)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .compose(
            replies -> {
              Response exec = replies.get(replies.size() - 1);
              if (exec == null) {
                return Future.failedFuture(new IllegalStateException("redis transaction aborted"));
              }
              return Future.<Void>succeededFuture();
            });
  }

  private Future<Response> send(Request request) {
    return redis.send(request).timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private static Request hset(String key, String... fieldValues) {
    Request request = Request.cmd(Command.HSET).arg(key);
    for (String s : fieldValues) {
      request.arg(s);
    }
    return request;
  }

  private static Request hset(String key, Map<String, String> fields) {
    Request request = Request.cmd(Command.HSET).arg(key);
    fields.forEach((f, v) -> request.arg(f).arg(v));
    return request;
  }

  private static long number(String value) {
    try {
      return value == null || value.isBlank() ? 0 : Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }
}
