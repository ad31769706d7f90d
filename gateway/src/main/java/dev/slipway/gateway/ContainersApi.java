package dev.slipway.gateway;

import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** {@code /api/v1/containers}: the managed containers as the reconciler projects them. */
final class ContainersApi {

  /** How many container hashes one Redis round trip reads. */
  static final int BATCH = 200;

  private static final Pattern SHORT_ID = Pattern.compile("[0-9a-f]{4,63}");
  private static final Comparator<JsonObject> ORDER =
      Comparator.comparing((JsonObject c) -> c.getString("app"), nullsLast())
          .thenComparing(c -> c.getString("name"), nullsLast())
          .thenComparing(c -> c.getString("id"));

  private final RedisStore redis;
  private final RedisKeys keys;

  ContainersApi(RedisStore redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  // ---------------------------------------------------------------- GET /api/v1/containers

  Future<Void> list(RoutingContext ctx) {
    String app = ctx.request().getParam("app");
    String state = ctx.request().getParam("state");
    return ids()
        .compose(this::views)
        .compose(
            views -> {
              List<JsonObject> items =
                  views.stream()
                      .filter(v -> app == null || app.equals(v.getString(ContainerHash.APP)))
                      .filter(v -> state == null || state.equals(v.getString(ContainerHash.STATE)))
                      .sorted(ORDER)
                      .toList();
              JsonObject out = new JsonObject().put("items", new JsonArray(new ArrayList<>(items)));
              return ctx.response().putHeader("content-type", "application/json").end(out.encode());
            });
  }

  // ---------------------------------------------------------------- GET /api/v1/containers/{id}

  Future<Void> get(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    return views(List.of(id))
        .compose(
            found -> {
              if (!found.isEmpty()) {
                return Future.succeededFuture(found.get(0));
              }
              return byPrefix(id);
            })
        .compose(
            view ->
                ctx.response().putHeader("content-type", "application/json").end(view.encode()));
  }

  // Docker users name containers by the short id (`docker ps` shows 12 characters): a unique
  // prefix of a managed container's id finds it too.
  private Future<JsonObject> byPrefix(String prefix) {
    if (!SHORT_ID.matcher(prefix).matches()) {
      return Future.failedFuture(Problem.notFound("no managed container " + prefix).exception());
    }
    return ids()
        .compose(
            ids -> {
              List<String> matches = ids.stream().filter(i -> i.startsWith(prefix)).toList();
              if (matches.size() > 1) {
                return Future.failedFuture(
                    Problem.notFound(
                            "the id prefix "
                                + prefix
                                + " matches "
                                + matches.size()
                                + " containers; give more of the id")
                        .exception());
              }
              Future<List<JsonObject>> views =
                  matches.isEmpty() ? Future.succeededFuture(List.of()) : views(matches);
              return views.compose(
                  found ->
                      found.isEmpty()
                          ? Future.failedFuture(
                              Problem.notFound("no managed container " + prefix).exception())
                          : Future.succeededFuture(found.get(0)));
            });
  }

  // ---------------------------------------------------------------- reading the projection

  /** Every id of the container set, sorted. */
  Future<List<String>> ids() {
    return redis
        .send(Request.cmd(Command.SMEMBERS).arg(keys.containers()))
        .map(
            reply -> {
              List<String> ids = RedisReplies.strings(reply);
              ids.sort(null);
              return ids;
            });
  }

  /**
   * The views of {@code ids}, in their order, read {@value #BATCH} at a time; an id whose hash is
   * gone (removed since the set was read) is left out.
   */
  Future<List<JsonObject>> views(List<String> ids) {
    List<JsonObject> out = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < ids.size(); from += BATCH) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + BATCH));
      chain = chain.compose(v -> batch(chunk).map(out::addAll).<Void>mapEmpty());
    }
    return chain.map(v -> out);
  }

  /** The views of one batch of ids, in one round trip. */
  Future<List<JsonObject>> batch(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> reads =
        ids.stream().map(id -> Request.cmd(Command.HGETALL).arg(keys.container(id))).toList();
    return redis
        .batch(reads)
        .map(
            replies -> {
              List<JsonObject> views = new ArrayList<>();
              for (int i = 0; i < ids.size(); i++) {
                Response reply = replies.get(i);
                Map<String, String> hash = RedisReplies.hash(reply);
                if (!hash.isEmpty()) {
                  views.add(ContainerViews.view(ids.get(i), hash));
                }
              }
              return views;
            });
  }

  private static Comparator<String> nullsLast() {
    return Comparator.nullsLast(Comparator.<String>naturalOrder());
  }
}
