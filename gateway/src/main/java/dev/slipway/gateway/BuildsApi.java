package dev.slipway.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.slipway.infra.events.BuildCommand.BuildCancelRequested;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import dev.slipway.infra.secrets.SealedEnv;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.validation.BuildRequestRules;
import dev.slipway.infra.validation.Violation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /api/v1/builds}: request, list, read and cancel builds. */
final class BuildsApi {

  private static final Logger log = LoggerFactory.getLogger(BuildsApi.class);

  static final String IDEMPOTENCY_HEADER = Idempotency.HEADER;

  /** How long a build request and an idempotency key are kept: a day. */
  static final long KEEP_SECONDS = Idempotency.KEEP_SECONDS;

  private static final int MAX_SCAN = 1000;

  private final RedisStore redis;
  private final RedisKeys keys;
  private final TopicSet topics;
  private final EventPublisher publisher;
  private final BuildRequestRules rules;
  private final long publishTimeoutMs;
  private final Idempotency idempotency;
  private final SecretBox box;

  /**
   * @param box seals every env value of a request's deploy before it leaves the gateway
   */
  BuildsApi(
      RedisStore redis,
      RedisKeys keys,
      TopicSet topics,
      EventPublisher publisher,
      BuildRequestRules rules,
      SecretBox box,
      GatewayOptions options) {
    this.redis = redis;
    this.keys = keys;
    this.topics = topics;
    this.publisher = publisher;
    this.rules = rules;
    this.publishTimeoutMs = options.publishTimeout().toMillis();
    this.idempotency = new Idempotency(redis, keys);
    this.box = box;
  }

  // ---------------------------------------------------------------- POST /api/v1/builds

  Future<Void> create(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String idempotencyKey = ctx.request().getHeader(IDEMPOTENCY_HEADER);
    String id = BuildIds.next();
    BuildRequested request;
    try {
      request = toRequest(body, id, idempotencyKey, Instant.now());
    } catch (Problem.ProblemException e) {
      return Future.failedFuture(e);
    }
    List<Violation> violations = rules.check(request);
    if (!violations.isEmpty()) {
      return Future.failedFuture(Problem.unprocessable(violations).exception());
    }
    // Hashed before sealing (a fresh nonce per seal would make every repeat differ), and keyed,
    // so the stored hash cannot be checked against guesses of a short secret.
    String bodyHash = idempotencyKey == null ? null : box.fingerprint(hash(request));
    BuildRequested accepted = sealed(request, box);
    if (idempotencyKey == null) {
      return accept(accepted).compose(v -> respondAccepted(ctx, id, BuildViews.QUEUED));
    }
    return idempotency
        .claim(idempotencyKey, bodyHash, id)
        .compose(
            claimed -> {
              if (!claimed.equals(id)) {
                log.info("build request repeated buildId={} (same Idempotency-Key)", claimed);
                return currentStatus(claimed).compose(s -> respondAccepted(ctx, claimed, s));
              }
              return accept(accepted)
                  .recover(
                      e ->
                          // Free the key, so the client's retry is a fresh attempt.
                          idempotency
                              .release(idempotencyKey)
                              .transform(x -> Future.<Void>failedFuture(e)))
                  .compose(v -> idempotency.markPublished(idempotencyKey, bodyHash, id))
                  .compose(v -> respondAccepted(ctx, id, BuildViews.QUEUED));
            });
  }

  /**
   * The request with its deploy's env values sealed: they stay sealed on Kafka (the build command,
   * the build's succeeded event, the auto-deploy) and in Redis until the deployer creates the
   * container.
   */
  static BuildRequested sealed(BuildRequested r, SecretBox box) {
    if (r.deploy() == null || r.deploy().env().isEmpty()) {
      return r;
    }
    return new BuildRequested(
        r.buildId(),
        r.repository(),
        r.ref(),
        r.context(),
        r.dockerfile(),
        r.buildArgs(),
        r.image(),
        r.tags(),
        r.push(),
        r.registryCredential(),
        r.gitCredential(),
        r.labels(),
        r.timeoutSeconds(),
        r.deploy().withEnv(SealedEnv.seal(box, r.deploy().env())),
        r.idempotencyKey(),
        r.requestedAt());
  }

  private Future<Void> respondAccepted(RoutingContext ctx, String id, String status) {
    JsonObject body =
        new JsonObject().put("id", id).put("status", status).put("links", BuildViews.links(id));
    return ctx.response()
        .setStatusCode(202)
        .putHeader("Location", BuildViews.self(id))
        .putHeader("content-type", "application/json")
        .end(body.encode());
  }

  /** Writes the request hash (read-your-writes for GET) and then publishes the command. */
  private Future<Void> accept(BuildRequested request) {
    String key = keys.buildRequest(request.buildId());
    Request hset = Request.cmd(Command.HSET).arg(key);
    requestHash(request).forEach((f, v) -> hset.arg(f).arg(v));
    return redis
        .batch(List.of(hset, Request.cmd(Command.EXPIRE).arg(key).arg(KEEP_SECONDS)))
        .compose(
            written ->
                publisher
                    .publish(topics.buildCommands(), request.buildId(), request)
                    .timeout(publishTimeoutMs, TimeUnit.MILLISECONDS)
                    .recover(
                        e -> {
                          log.warn(
                              "build request not published buildId={} error=\"{}\"",
                              request.buildId(),
                              e.toString());
                          return redis
                              .send(Request.cmd(Command.DEL).arg(key))
                              .transform(
                                  x ->
                                      Future.failedFuture(
                                          Problem.unavailable(
                                                  "Kafka did not accept the build request in"
                                                      + " time; nothing was queued, retry")
                                              .exception()));
                        }))
        .map(
            metadata -> {
              log.info(
                  "build requested buildId={} repository={} image={} partition={} offset={}",
                  request.buildId(),
                  request.repository(),
                  request.image(),
                  metadata.partition(),
                  metadata.offset());
              return null;
            });
  }

  private static Map<String, String> requestHash(BuildRequested r) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(BuildHash.ID, r.buildId());
    h.put(BuildHash.STATUS, BuildViews.QUEUED);
    h.put(BuildHash.REPOSITORY, r.repository());
    if (r.ref() != null) {
      h.put(BuildHash.REF, r.ref());
    }
    h.put(BuildHash.CONTEXT, r.context());
    h.put(BuildHash.DOCKERFILE, r.dockerfile());
    h.put(BuildHash.IMAGE, r.image());
    h.put(BuildHash.TAGS, new JsonArray(r.tags()).encode());
    h.put(BuildHash.PUSH, Boolean.toString(r.push()));
    h.put(BuildHash.REQUESTED_AT, r.requestedAt().toString());
    if (r.deploy() != null) {
      h.put(BuildHash.DEPLOY, Json.toString(r.deploy()));
    }
    return h;
  }

  private Future<String> currentStatus(String id) {
    return redis
        .send(Request.cmd(Command.HGET).arg(keys.build(id)).arg(BuildHash.STATUS))
        .map(s -> s == null ? BuildViews.QUEUED : s.toString());
  }

  /** The request as the contract validated it, with defaults; 422 when the deploy is invalid. */
  static BuildRequested toRequest(JsonObject body, String id, String idempotencyKey, Instant now) {
    DeploySpec deploy = null;
    JsonObject deployJson = body.getJsonObject("deploy");
    if (deployJson != null) {
      try {
        deploy = Json.mapper().readValue(deployJson.encode(), DeploySpec.class);
      } catch (JsonProcessingException e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
          cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? "is invalid" : cause.getMessage();
        String field = message.contains("label") ? "deploy.labels" : "deploy";
        throw Problem.unprocessable(field, message).exception();
      }
    }
    return new BuildRequested(
        id,
        body.getString("repository"),
        body.getString("ref"),
        body.getString("context", "."),
        body.getString("dockerfile", "Dockerfile"),
        strings(body.getJsonObject("build_args")),
        body.getString("image"),
        list(body.getJsonArray("tags")),
        body.getBoolean("push", false),
        body.getString("registry_credential"),
        body.getString("git_credential"),
        strings(body.getJsonObject("labels")),
        body.getInteger("timeout_seconds"),
        deploy,
        idempotencyKey,
        now);
  }

  private static Map<String, String> strings(JsonObject json) {
    Map<String, String> out = new LinkedHashMap<>();
    if (json != null) {
      json.forEach(e -> out.put(e.getKey(), (String) e.getValue()));
    }
    return out;
  }

  private static List<String> list(JsonArray json) {
    List<String> out = new ArrayList<>();
    if (json != null) {
      json.forEach(v -> out.add((String) v));
    }
    return out;
  }

  /** SHA-256 of the request's canonical JSON, without what differs between two submissions. */
  static String hash(BuildRequested request) {
    return Idempotency.hash(
        "build", request, List.of("build_id", "idempotency_key", "requested_at"));
  }

  // ---------------------------------------------------------------- GET /api/v1/builds/{id}

  Future<Void> get(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    return find(id)
        .compose(
            view ->
                ctx.response().putHeader("content-type", "application/json").end(view.encode()));
  }

  /** The build's view, or a 404 problem when neither the projection nor the request exists. */
  private Future<JsonObject> find(String id) {
    return redis
        .batch(
            List.of(
                Request.cmd(Command.HGETALL).arg(keys.build(id)),
                Request.cmd(Command.HGETALL).arg(keys.buildRequest(id))))
        .compose(
            replies -> {
              Map<String, String> projection = RedisReplies.hash(replies.get(0));
              Map<String, String> request = RedisReplies.hash(replies.get(1));
              if (projection.isEmpty() && request.isEmpty()) {
                return Future.failedFuture(Problem.notFound("no build " + id).exception());
              }
              return Future.succeededFuture(BuildViews.view(id, projection, request));
            });
  }

  /**
   * Fails with a 404 problem when there is no such build, and with a 410 one when its log stream
   * was removed after the log retention; succeeds when the log can be followed.
   */
  Future<Void> logFollowable(String id) {
    return redis
        .batch(
            List.of(
                Request.cmd(Command.EXISTS).arg(keys.build(id)),
                Request.cmd(Command.EXISTS).arg(keys.buildRequest(id)),
                Request.cmd(Command.EXISTS).arg(keys.buildLog(id)),
                Request.cmd(Command.HGET).arg(keys.build(id)).arg(BuildHash.LOG_EXPIRES_AT)))
        .compose(
            replies -> {
              boolean log = replies.get(2).toLong() > 0;
              if (!log && replies.get(0).toLong() == 0 && replies.get(1).toLong() == 0) {
                return Future.failedFuture(Problem.notFound("no build " + id).exception());
              }
              Response expiresAt = replies.get(3);
              long goneAt = expiresAt == null ? Long.MAX_VALUE : expiresAt.toLong();
              if (!log && goneAt <= System.currentTimeMillis()) {
                String at = Instant.ofEpochMilli(goneAt).toString();
                return Future.failedFuture(
                    Problem.gone(
                            "the log of build "
                                + id
                                + " was removed at "
                                + at
                                + ", when its retention after the build ended ran out"
                                + " (SLIPWAY_BUILD_LOG_RETENTION); GET /api/v1/builds/"
                                + id
                                + " still has its status and result")
                        .exception());
              }
              return Future.succeededFuture();
            });
  }

  // ---------------------------------------------------------------- POST .../{id}/cancel

  Future<Void> cancel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    JsonObject body = ctx.body() == null || ctx.body().isEmpty() ? null : ctx.body().asJsonObject();
    String reason = body == null ? null : body.getString("reason");
    return find(id)
        .compose(
            view -> {
              String status = view.getString("status");
              if (BuildViews.FINISHED.contains(status)) {
                return Future.failedFuture(
                    Problem.conflict("build " + id + " has already " + finishedVerb(status))
                        .exception());
              }
              return publisher
                  .publish(
                      topics.buildCommands(),
                      id,
                      new BuildCancelRequested(id, reason, Instant.now()))
                  .timeout(publishTimeoutMs, TimeUnit.MILLISECONDS)
                  .recover(
                      e ->
                          Future.failedFuture(
                              Problem.unavailable(
                                      "Kafka did not accept the cancel request in time; retry")
                                  .exception()))
                  .compose(
                      metadata -> {
                        log.info("build cancel requested buildId={} status={}", id, status);
                        JsonObject out =
                            new JsonObject()
                                .put("id", id)
                                .put("status", status)
                                .put("links", BuildViews.links(id));
                        return ctx.response()
                            .setStatusCode(202)
                            .putHeader("content-type", "application/json")
                            .end(out.encode());
                      });
            });
  }

  private static String finishedVerb(String status) {
    return switch (status) {
      case "succeeded" -> "succeeded";
      case "failed" -> "failed";
      default -> "been cancelled";
    };
  }

  // ---------------------------------------------------------------- GET /api/v1/builds

  private record Cursor(String score, String id) {
    String encode() {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString((score + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String text) {
      try {
        String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        int colon = raw.indexOf(':');
        String score = raw.substring(0, colon);
        Double.parseDouble(score);
        String id = raw.substring(colon + 1);
        if (id.isEmpty()) {
          throw new IllegalArgumentException();
        }
        return new Cursor(score, id);
      } catch (RuntimeException e) {
        throw Problem.badRequest("cursor", "is not a cursor this API returned").exception();
      }
    }

    /** Whether a set member comes after this cursor in newest-first order. */
    boolean before(String memberScore, String member) {
      int c = Double.compare(Double.parseDouble(memberScore), Double.parseDouble(score));
      return c < 0 || (c == 0 && member.compareTo(id) < 0);
    }
  }

  private static final class Page {
    final List<JsonObject> items = new ArrayList<>();
    int offset;
    int scanned;
    Cursor next;
  }

  Future<Void> list(RoutingContext ctx) {
    int limit = intParam(ctx, "limit", 20);
    String status = ctx.request().getParam("status");
    String repository = ctx.request().getParam("repository");
    String cursorParam = ctx.request().getParam("cursor");
    Cursor cursor;
    try {
      cursor = cursorParam == null ? null : Cursor.decode(cursorParam);
    } catch (Problem.ProblemException e) {
      return Future.failedFuture(e);
    }
    Page page = new Page();
    return scan(page, limit, cursor, status, repository)
        .compose(
            v -> {
              JsonObject out =
                  new JsonObject().put("items", new JsonArray(new ArrayList<>(page.items)));
              if (page.next != null) {
                String next = page.next.encode();
                out.put("next_cursor", next);
                StringBuilder link =
                    new StringBuilder("/api/v1/builds?limit=")
                        .append(limit)
                        .append("&cursor=")
                        .append(next);
                if (status != null) {
                  link.append("&status=").append(status);
                }
                if (repository != null) {
                  link.append("&repository=")
                      .append(java.net.URLEncoder.encode(repository, StandardCharsets.UTF_8));
                }
                out.put("links", new JsonObject().put("next", link.toString()));
              }
              return ctx.response().putHeader("content-type", "application/json").end(out.encode());
            });
  }

  private static int intParam(RoutingContext ctx, String name, int defaultValue) {
    String raw = ctx.request().getParam(name);
    return raw == null ? defaultValue : Integer.parseInt(raw);
  }

  // Walks the sorted set newest first in batches, filtering on the projection, until the page is
  // full, the set ends, or MAX_SCAN members were looked at (then the cursor resumes the walk).
  private Future<Void> scan(Page page, int limit, Cursor cursor, String status, String repository) {
    int batch = Math.min(200, Math.max(50, limit * 2));
    String max = cursor == null ? "+inf" : cursor.score();
    return redis
        .send(
            Request.cmd(Command.ZRANGE)
                .arg(keys.builds())
                .arg(max)
                .arg("-inf")
                .arg("BYSCORE")
                .arg("REV")
                .arg("LIMIT")
                .arg(page.offset)
                .arg(batch)
                .arg("WITHSCORES"))
        .compose(
            reply -> {
              List<Map.Entry<String, String>> members = RedisReplies.scored(reply);
              List<Map.Entry<String, String>> candidates =
                  members.stream()
                      .filter(m -> cursor == null || cursor.before(m.getValue(), m.getKey()))
                      .toList();
              List<Request> reads =
                  candidates.stream()
                      .map(m -> Request.cmd(Command.HGETALL).arg(keys.build(m.getKey())))
                      .toList();
              Future<List<Response>> hashes =
                  reads.isEmpty() ? Future.succeededFuture(List.of()) : redis.batch(reads);
              return hashes.compose(
                  replies -> {
                    for (int i = 0; i < candidates.size(); i++) {
                      Map<String, String> hash = RedisReplies.hash(replies.get(i));
                      if (hash.isEmpty()) {
                        continue;
                      }
                      String id = candidates.get(i).getKey();
                      JsonObject view = BuildViews.view(id, hash, Map.of());
                      if (status != null && !status.equals(view.getString("status"))) {
                        continue;
                      }
                      if (repository != null && !repository.equals(view.getString("repository"))) {
                        continue;
                      }
                      page.items.add(view);
                      if (page.items.size() == limit) {
                        boolean more = i < candidates.size() - 1 || members.size() == batch;
                        page.next = more ? new Cursor(candidates.get(i).getValue(), id) : null;
                        return Future.succeededFuture();
                      }
                    }
                    page.offset += members.size();
                    page.scanned += members.size();
                    if (members.size() < batch) {
                      return Future.succeededFuture();
                    }
                    if (page.scanned >= MAX_SCAN) {
                      Map.Entry<String, String> last = members.get(members.size() - 1);
                      page.next = new Cursor(last.getValue(), last.getKey());
                      return Future.succeededFuture();
                    }
                    return scan(page, limit, cursor, status, repository);
                  });
            });
  }
}
