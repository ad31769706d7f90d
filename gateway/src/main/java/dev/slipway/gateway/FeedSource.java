package dev.slipway.gateway;

import dev.slipway.infra.events.EventTypes;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import dev.slipway.infra.redis.RedisReplies.Entry;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The change feed ({@link RedisKeys#feed()}) as SSE for {@code GET /api/v1/events}: optionally a
 * snapshot of the current state first, then every feed entry the filter selects, live, each with
 * its stream id as the event id.
 *
 * <p>Resuming: a {@code Last-Event-ID} that the feed still covers resumes right after it (no gap,
 * no duplicate). The feed is capped, so an id can fall off its start; such a client missed entries
 * nobody can replay, and is told so with a {@code reset} event followed by a fresh snapshot, after
 * which it follows live as usual.
 *
 * <p>The snapshot is read after the feed position it is taken at, so every change after that
 * position arrives live: a change right at the boundary may show in the snapshot and again as an
 * event, never in neither.
 */
final class FeedSource implements SseSource {

  /** The feed {@code kind} of build entries (written by the reconciler's build projection). */
  static final String KIND_BUILD = "build";

  /** The feed {@code kind} of deploy entries. */
  static final String KIND_DEPLOY = "deploy";

  /** How many builds a snapshot holds at most, newest first. */
  static final int SNAPSHOT_BUILDS = 100;

  /** How many of the newest builds a snapshot filtered by app looks through. */
  static final int SNAPSHOT_BUILD_SCAN = 1_000;

  /** What a client can select with {@code type}. */
  enum Type {
    BUILD,
    CONTAINER,
    DEPLOY,
    DRIFT;

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Type of(String wire) {
      return valueOf(wire.trim().toUpperCase(Locale.ROOT));
    }

    /** The type of a feed entry, or {@code null} for a kind this gateway does not know. */
    static Type of(Map<String, String> fields) {
      String kind = fields.get(ContainerHash.Feed.KIND);
      if (kind == null) {
        return null;
      }
      return switch (kind) {
        case ContainerHash.Feed.KIND_CONTAINER ->
            EventTypes.CONTAINER_DRIFT.equals(fields.get(ContainerHash.Feed.EVENT))
                ? DRIFT
                : CONTAINER;
        case KIND_BUILD -> BUILD;
        case KIND_DEPLOY -> DEPLOY;
        default -> null;
      };
    }
  }

  /**
   * What a client selects.
   *
   * @param types the types wanted; every type when empty
   * @param app only entries of this app, when not null
   */
  record Filter(Set<Type> types, String app) {
    Filter {
      types = types.isEmpty() ? EnumSet.allOf(Type.class) : EnumSet.copyOf(types);
    }

    /** {@code type} as the query parameter gives it: comma-separated names, or null for all. */
    static Filter parse(String type, String app) {
      Set<Type> types = EnumSet.noneOf(Type.class);
      if (type != null) {
        for (String part : type.split(",")) {
          if (!part.isBlank()) {
            types.add(Type.of(part));
          }
        }
      }
      return new Filter(types, app);
    }

    boolean wants(Type type) {
      return types.contains(type);
    }

    boolean appMatches(String value) {
      return app == null || app.equals(value);
    }
  }

  /** Why a client gets a {@code reset}: values of its {@code reason}. */
  static final String RESET_EXPIRED = "last_event_id_expired";

  static final String RESET_UNKNOWN = "last_event_id_unknown";

  private final RedisKeys keys;
  private final RedisStore redis;
  private final ContainersApi containers;
  private final Filter filter;
  private final boolean wantsSnapshot;

  FeedSource(
      RedisKeys keys, RedisStore redis, ContainersApi containers, Filter filter, boolean snapshot) {
    this.keys = keys;
    this.redis = redis;
    this.containers = containers;
    this.filter = filter;
    this.wantsSnapshot = snapshot;
  }

  @Override
  public String key() {
    return keys.feed();
  }

  @Override
  public String label() {
    return "stream=events";
  }

  @Override
  public Future<String> begin(SseClient client, String lastEventId) {
    return redis
        .batch(
            List.of(
                Request.cmd(Command.XRANGE).arg(key()).arg("-").arg("+").arg("COUNT").arg(1),
                Request.cmd(Command.XREVRANGE).arg(key()).arg("+").arg("-").arg("COUNT").arg(1)))
        .compose(
            replies -> {
              List<Entry> first = RedisReplies.entries(replies.get(0));
              List<Entry> last = RedisReplies.entries(replies.get(1));
              String position = last.isEmpty() ? SseClient.BEFORE_ALL : last.get(0).id();
              if (lastEventId != null) {
                String reason = null;
                String detail = null;
                if (first.isEmpty()) {
                  reason = RESET_UNKNOWN;
                  detail = "the change feed holds nothing now (Redis was flushed or restarted)";
                } else if (StreamIds.compare(lastEventId, first.get(0).id()) < 0) {
                  reason = RESET_EXPIRED;
                  detail =
                      "the change feed no longer reaches back to "
                          + lastEventId
                          + "; its oldest entry is "
                          + first.get(0).id();
                } else if (StreamIds.compare(lastEventId, position) > 0) {
                  reason = RESET_UNKNOWN;
                  detail =
                      lastEventId
                          + " is newer than the newest entry of the change feed (Redis was"
                          + " flushed or restarted)";
                }
                if (reason == null) {
                  return Future.succeededFuture(lastEventId);
                }
                client.event(
                    null,
                    "reset",
                    new JsonObject()
                        .put("reason", reason)
                        .put("detail", detail + "; a fresh snapshot follows")
                        .put("last_event_id", lastEventId));
                return snapshot(client, position);
              }
              return wantsSnapshot ? snapshot(client, position) : Future.succeededFuture(position);
            });
  }

  // Containers from their hashes, then the newest builds, then snapshot_end carrying the feed
  // position the snapshot was read after: a client that reconnects with it resumes from there.
  private Future<String> snapshot(SseClient client, String position) {
    AtomicInteger containerCount = new AtomicInteger();
    AtomicInteger buildCount = new AtomicInteger();
    Future<Void> sent = Future.succeededFuture();
    if (filter.wants(Type.CONTAINER)) {
      sent = sent.compose(v -> snapshotContainers(client, containerCount));
    }
    if (filter.wants(Type.BUILD)) {
      sent = sent.compose(v -> snapshotBuilds(client, buildCount));
    }
    return sent.map(
        v -> {
          client.event(
              position.equals(SseClient.BEFORE_ALL) ? null : position,
              "snapshot_end",
              new JsonObject()
                  .put("containers", containerCount.get())
                  .put("builds", buildCount.get()));
          return position;
        });
  }

  private Future<Void> snapshotContainers(SseClient client, AtomicInteger count) {
    return containers
        .ids()
        .compose(
            ids -> {
              Future<Void> chain = Future.succeededFuture();
              for (int from = 0; from < ids.size(); from += ContainersApi.BATCH) {
                List<String> chunk =
                    ids.subList(from, Math.min(ids.size(), from + ContainersApi.BATCH));
                chain =
                    chain
                        .compose(v -> client.writable())
                        .compose(v -> containers.batch(chunk))
                        .map(
                            views -> {
                              for (JsonObject view : views) {
                                if (filter.appMatches(view.getString(ContainerHash.APP))) {
                                  count.incrementAndGet();
                                  client.event(null, "snapshot", item(Type.CONTAINER, view));
                                }
                              }
                              return null;
                            });
              }
              return chain;
            });
  }

  private Future<Void> snapshotBuilds(SseClient client, AtomicInteger count) {
    int scan = filter.app() == null ? SNAPSHOT_BUILDS : SNAPSHOT_BUILD_SCAN;
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(keys.builds()).arg(0).arg(scan - 1).arg("REV"))
        .compose(
            reply -> {
              List<String> ids = new ArrayList<>();
              if (reply != null) {
                reply.forEach(r -> ids.add(r.toString()));
              }
              Future<Void> chain = Future.succeededFuture();
              for (int from = 0; from < ids.size(); from += ContainersApi.BATCH) {
                List<String> chunk =
                    ids.subList(from, Math.min(ids.size(), from + ContainersApi.BATCH));
                chain =
                    chain
                        .compose(v -> client.writable())
                        .compose(
                            v -> {
                              if (count.get() >= SNAPSHOT_BUILDS) {
                                return Future.succeededFuture();
                              }
                              return redis
                                  .batch(
                                      chunk.stream()
                                          .map(
                                              id ->
                                                  Request.cmd(Command.HGETALL).arg(keys.build(id)))
                                          .toList())
                                  .map(
                                      replies -> {
                                        for (int i = 0; i < chunk.size(); i++) {
                                          Map<String, String> hash =
                                              RedisReplies.hash(replies.get(i));
                                          if (hash.isEmpty()
                                              || count.get() >= SNAPSHOT_BUILDS
                                              || !filter.appMatches(deployApp(hash))) {
                                            continue;
                                          }
                                          count.incrementAndGet();
                                          client.event(
                                              null,
                                              "snapshot",
                                              item(
                                                  Type.BUILD,
                                                  BuildViews.view(chunk.get(i), hash, Map.of())));
                                        }
                                        return null;
                                      });
                            });
              }
              return chain;
            });
  }

  // A build belongs to an app only through the deploy it requested on success.
  private static String deployApp(Map<String, String> hash) {
    String deploy = hash.get(BuildHash.DEPLOY);
    if (deploy == null || deploy.isEmpty()) {
      return null;
    }
    try {
      return new JsonObject(deploy).getString("app");
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  private static JsonObject item(Type type, JsonObject view) {
    return new JsonObject().put("type", type.wire()).put("item", view);
  }

  @Override
  public boolean send(Entry entry, SseClient client) {
    SseEvent event = render(entry);
    if (event != null) {
      client.event(entry.id(), event.name(), event.data());
    }
    return false;
  }

  /** The entry as an event for this client, or {@code null} when the filter skips it. */
  SseEvent render(Entry entry) {
    Map<String, String> fields = entry.fields();
    Type type = Type.of(fields);
    if (type == null
        || !filter.wants(type)
        || !filter.appMatches(fields.get(ContainerHash.Feed.APP))) {
      return null;
    }
    JsonObject data = new JsonObject();
    fields.forEach(
        (field, value) -> {
          if (!field.equals(ContainerHash.Feed.KIND) && value != null) {
            data.put(field, value);
          }
        });
    return new SseEvent(type.wire(), data);
  }
}
