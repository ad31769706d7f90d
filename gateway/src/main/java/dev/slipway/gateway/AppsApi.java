package dev.slipway.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployCommand.DeployRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import dev.slipway.infra.events.DeployCommand.RollbackRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import dev.slipway.infra.secrets.SealedEnv;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.validation.DeployRequestRules;
import dev.slipway.infra.validation.Violation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /api/v1/apps}: deploy, read, roll back and remove apps. */
final class AppsApi {

  private static final Logger log = LoggerFactory.getLogger(AppsApi.class);

  /** A build id in the {@code image} field: deploy that build's image. */
  private static final Pattern BUILD_ID = Pattern.compile("^b-[0-9a-z]{26}$");

  /** How many recent deployments an app's view lists. */
  static final int RECENT_DEPLOYMENTS = 20;

  private static final List<String> HASH_IGNORED =
      List.of("deployment_id", "requested_at", "idempotency_key");

  private final RedisStore redis;
  private final RedisKeys keys;
  private final TopicSet topics;
  private final EventPublisher publisher;
  private final DeployRequestRules rules;
  private final Idempotency idempotency;
  private final SecretBox box;
  private final long publishTimeoutMs;

  /**
   * @param box seals every env value before the command leaves the gateway
   */
  AppsApi(
      RedisStore redis,
      RedisKeys keys,
      TopicSet topics,
      EventPublisher publisher,
      DeployRequestRules rules,
      SecretBox box,
      GatewayOptions options) {
    this.redis = redis;
    this.keys = keys;
    this.topics = topics;
    this.publisher = publisher;
    this.rules = rules;
    this.idempotency = new Idempotency(redis, keys);
    this.box = box;
    this.publishTimeoutMs = options.publishTimeout().toMillis();
  }

  static String nextDeploymentId() {
    return "d-" + BuildIds.ulid(System.currentTimeMillis());
  }

  // ---------------------------------------------------------------- POST .../{app}/deployments

  Future<Void> deploy(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    JsonObject body = ctx.body().asJsonObject();
    String idempotencyKey = ctx.request().getHeader(Idempotency.HEADER);
    String image = body.getString("image");
    Future<ResolvedImage> resolved =
        BUILD_ID.matcher(image).matches()
            ? fromBuild(image)
            : Future.succeededFuture(new ResolvedImage(image, null));
    return resolved.compose(
        found -> {
          DeploySpec spec;
          try {
            spec = toSpec(app, body, found.image());
          } catch (Problem.ProblemException e) {
            return Future.failedFuture(e);
          }
          List<Violation> violations = rules.check(spec);
          if (!violations.isEmpty()) {
            return Future.failedFuture(Problem.unprocessable(violations).exception());
          }
          String id = nextDeploymentId();
          Instant now = Instant.now();
          // Env values are secrets: sealed here, they stay sealed on Kafka and in Redis until the
          // deployer creates the container.
          DeployRequested command =
              new DeployRequested(
                  id, app, spec.withEnv(SealedEnv.seal(box, spec.env())), found.buildId(), now);
          if (idempotencyKey == null) {
            return publish(command).compose(v -> accepted(ctx, app, id, AppViews.QUEUED));
          }
          // Hashed before sealing (a fresh nonce per seal would make every repeat differ), and
          // keyed, so the stored hash cannot be checked against guesses of a short secret.
          String bodyHash =
              box.fingerprint(
                  Idempotency.hash(
                      "deploy",
                      new DeployRequested(id, app, spec, found.buildId(), now),
                      HASH_IGNORED));
          return idempotency
              .claim(idempotencyKey, bodyHash, id)
              .compose(
                  claimed -> {
                    if (!claimed.equals(id)) {
                      log.info("deploy request repeated app={} deploymentId={}", app, claimed);
                      return deploymentStatus(claimed).compose(s -> accepted(ctx, app, claimed, s));
                    }
                    return publish(command)
                        .recover(
                            e ->
                                idempotency
                                    .release(idempotencyKey)
                                    .transform(x -> Future.<Void>failedFuture(e)))
                        .compose(v -> idempotency.markPublished(idempotencyKey, bodyHash, id))
                        .compose(v -> accepted(ctx, app, id, AppViews.QUEUED));
                  });
        });
  }

  private record ResolvedImage(String image, String buildId) {}

  /** The image a succeeded build produced: by digest when pushed, else by its first tag. */
  private Future<ResolvedImage> fromBuild(String buildId) {
    return redis
        .send(Request.cmd(Command.HGETALL).arg(keys.build(buildId)))
        .compose(
            reply -> {
              Map<String, String> build = RedisReplies.hash(reply);
              if (build.isEmpty()) {
                return Future.failedFuture(
                    Problem.unprocessable(
                            "image",
                            "no build " + buildId + "; give an image reference or a build id")
                        .exception());
              }
              String status = build.get(BuildHash.STATUS);
              if (!"succeeded".equals(status)) {
                return Future.failedFuture(
                    new Problem(
                            409,
                            "Conflict",
                            "build "
                                + buildId
                                + " is "
                                + status
                                + ", not succeeded; deploy it once it has succeeded",
                            "image")
                        .exception());
              }
              String name = build.get(BuildHash.IMAGE);
              String digest = build.get(BuildHash.DIGEST);
              if (name != null && digest != null && !digest.isEmpty()) {
                return Future.succeededFuture(new ResolvedImage(name + "@" + digest, buildId));
              }
              JsonArray tags = new JsonArray(build.getOrDefault(BuildHash.TAGS, "[]"));
              String tag = tags.isEmpty() ? "latest" : tags.getString(0);
              return Future.succeededFuture(new ResolvedImage(name + ":" + tag, buildId));
            });
  }

  /** The spec as the contract validated it, with defaults; 422 when its values cannot hold. */
  static DeploySpec toSpec(String app, JsonObject body, String image) {
    JsonObject json = body.copy().put("app", app).put("image", image);
    if (!json.containsKey("strategy")) {
      json.put("strategy", DeploySpec.Strategy.BLUE_GREEN.wire());
    }
    try {
      return Json.mapper().readValue(json.encode(), DeploySpec.class);
    } catch (JsonProcessingException e) {
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      String message = cause.getMessage() == null ? "is invalid" : cause.getMessage();
      String field =
          message.contains("label")
              ? "labels"
              : message.contains("duration") || message.contains("health")
                  ? "health"
                  : message.contains("cpus") || message.contains("memory") ? "resources" : "body";
      throw Problem.unprocessable(field, message).exception();
    }
  }

  private Future<Void> publish(DeployCommand command) {
    return publisher
        .publish(topics.deployCommands(), command.app(), command)
        .timeout(publishTimeoutMs, TimeUnit.MILLISECONDS)
        .recover(
            e -> {
              log.warn("deploy command not published app={} error=\"{}\"", command.app(), e);
              return Future.failedFuture(
                  Problem.unavailable(
                          "Kafka did not accept the request in time; nothing was queued, retry")
                      .exception());
            })
        .map(
            metadata -> {
              log.info(
                  "deploy command published app={} type={} partition={} offset={}",
                  command.app(),
                  command.getClass().getSimpleName(),
                  metadata.partition(),
                  metadata.offset());
              return null;
            });
  }

  private Future<Void> accepted(RoutingContext ctx, String app, String id, String status) {
    JsonObject body =
        new JsonObject()
            .put("id", id)
            .put("app", app)
            .put("status", status)
            .put("links", AppViews.links(app, id));
    return ctx.response()
        .setStatusCode(202)
        .putHeader("Location", AppViews.deployment(app, id))
        .putHeader("content-type", "application/json")
        .end(body.encode());
  }

  private Future<String> deploymentStatus(String id) {
    return redis
        .send(Request.cmd(Command.HGET).arg(keys.deployment(id)).arg(DeploymentHash.STATUS))
        .map(s -> s == null ? AppViews.QUEUED : s.toString());
  }

  // ---------------------------------------------------------------- POST .../{app}/rollback

  Future<Void> rollback(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    JsonObject body = ctx.body() == null || ctx.body().isEmpty() ? null : ctx.body().asJsonObject();
    Long wanted = body == null ? null : body.getLong("revision");
    return redis
        .batch(
            List.of(
                Request.cmd(Command.HGETALL).arg(keys.app(app)),
                Request.cmd(Command.HKEYS).arg(keys.appRevisions(app))))
        .compose(
            replies -> {
              Map<String, String> hash = RedisReplies.hash(replies.get(0));
              if (hash.isEmpty()) {
                return Future.failedFuture(Problem.notFound("no app " + app).exception());
              }
              long live = parseLong(hash.get(AppHash.LIVE_REVISION));
              List<Long> kept = new ArrayList<>();
              if (replies.get(1) != null) {
                replies.get(1).forEach(r -> kept.add(parseLong(r.toString())));
              }
              if (wanted != null) {
                if (!kept.contains(wanted)) {
                  return Future.failedFuture(
                      Problem.unprocessable(
                              "revision",
                              "revision "
                                  + wanted
                                  + " of "
                                  + app
                                  + " is not kept; kept: "
                                  + kept.stream().sorted().toList())
                          .exception());
                }
                if (wanted == live) {
                  return Future.failedFuture(
                      Problem.conflict("revision " + wanted + " of " + app + " is already live")
                          .exception());
                }
              } else if (kept.stream().noneMatch(r -> r < live)) {
                return Future.failedFuture(
                    Problem.conflict(
                            app
                                + " has no revision before the live one ("
                                + live
                                + ") to roll back to")
                        .exception());
              }
              String id = nextDeploymentId();
              return publish(new RollbackRequested(id, app, wanted, Instant.now()))
                  .compose(v -> accepted(ctx, app, id, AppViews.QUEUED));
            });
  }

  private static long parseLong(String text) {
    try {
      return text == null ? 0 : Long.parseLong(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  // ---------------------------------------------------------------- DELETE .../{app}

  Future<Void> remove(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    return known(app)
        .compose(
            known -> {
              if (!known) {
                return Future.failedFuture(Problem.notFound("no app " + app).exception());
              }
              String id = nextDeploymentId();
              return publish(new RemoveRequested(id, app, Instant.now()))
                  .compose(v -> accepted(ctx, app, id, AppViews.QUEUED));
            });
  }

  private Future<Boolean> known(String app) {
    return redis
        .batch(
            List.of(
                Request.cmd(Command.EXISTS).arg(keys.app(app)),
                Request.cmd(Command.SISMEMBER).arg(keys.apps()).arg(app)))
        .map(replies -> replies.stream().anyMatch(r -> r != null && r.toLong() > 0));
  }

  // ---------------------------------------------------------------- GET /api/v1/apps

  Future<Void> list(RoutingContext ctx) {
    return redis
        .send(Request.cmd(Command.SMEMBERS).arg(keys.apps()))
        .compose(
            reply -> {
              List<String> names = RedisReplies.strings(reply);
              names.sort(null);
              List<Request> reads =
                  names.stream().map(n -> Request.cmd(Command.HGETALL).arg(keys.app(n))).toList();
              Future<List<Response>> hashes =
                  reads.isEmpty() ? Future.succeededFuture(List.of()) : redis.batch(reads);
              return hashes.map(
                  replies -> {
                    JsonArray items = new JsonArray();
                    for (int i = 0; i < names.size(); i++) {
                      Map<String, String> hash = RedisReplies.hash(replies.get(i));
                      if (!hash.isEmpty()) {
                        items.add(AppViews.summary(names.get(i), hash));
                      }
                    }
                    return new JsonObject().put("items", items);
                  });
            })
        .compose(
            out -> ctx.response().putHeader("content-type", "application/json").end(out.encode()));
  }

  // ---------------------------------------------------------------- GET /api/v1/apps/{app}

  Future<Void> get(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    return redis
        .batch(
            List.of(
                Request.cmd(Command.HGETALL).arg(keys.app(app)),
                Request.cmd(Command.HGETALL).arg(keys.appRevisions(app)),
                Request.cmd(Command.ZRANGE)
                    .arg(keys.appDeployments(app))
                    .arg(0)
                    .arg(RECENT_DEPLOYMENTS - 1)
                    .arg("REV")))
        .compose(
            replies -> {
              Map<String, String> hash = RedisReplies.hash(replies.get(0));
              if (hash.isEmpty()) {
                return Future.failedFuture(Problem.notFound("no app " + app).exception());
              }
              Map<String, String> revisions = RedisReplies.hash(replies.get(1));
              List<String> ids = new ArrayList<>();
              if (replies.get(2) != null) {
                replies.get(2).forEach(r -> ids.add(r.toString()));
              }
              List<Request> reads =
                  ids.stream()
                      .map(id -> Request.cmd(Command.HGETALL).arg(keys.deployment(id)))
                      .toList();
              Future<List<Response>> deployments =
                  reads.isEmpty() ? Future.succeededFuture(List.of()) : redis.batch(reads);
              return deployments.map(
                  d -> {
                    List<Map.Entry<String, Map<String, String>>> found = new ArrayList<>();
                    for (int i = 0; i < ids.size(); i++) {
                      Map<String, String> h = RedisReplies.hash(d.get(i));
                      if (!h.isEmpty()) {
                        found.add(Map.entry(ids.get(i), h));
                      }
                    }
                    return AppViews.view(app, hash, revisions, found);
                  });
            })
        .compose(
            view ->
                ctx.response().putHeader("content-type", "application/json").end(view.encode()));
  }

  // ------------------------------------------------ GET /api/v1/apps/{app}/deployments/{id}

  Future<Void> getDeployment(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    String id = ctx.pathParam("id");
    return redis
        .send(Request.cmd(Command.HGETALL).arg(keys.deployment(id)))
        .compose(
            reply -> {
              Map<String, String> hash = RedisReplies.hash(reply);
              if (hash.isEmpty() || !app.equals(hash.get(DeploymentHash.APP))) {
                // A deployment just accepted appears once the deployer takes it off Kafka.
                return Future.failedFuture(
                    Problem.notFound(
                            "no deployment "
                                + id
                                + " of "
                                + app
                                + " (yet: one just accepted appears once the deployer takes it)")
                        .exception());
              }
              JsonObject view = AppViews.deployment(app, id, hash);
              return ctx.response()
                  .putHeader("content-type", "application/json")
                  .end(view.encode());
            });
  }
}
