package dev.slipway.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.redis.RedisKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code Idempotency-Key} handling shared by the routes that accept one: a key is claimed for one
 * request (same body → same resource id, another body → 422) for a day.
 */
final class Idempotency {

  static final String HEADER = "Idempotency-Key";

  /** How long a key is kept: a day. */
  static final long KEEP_SECONDS = Duration.ofDays(1).toSeconds();

  private static final ObjectMapper CANONICAL =
      Json.mapper().copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private final RedisStore redis;
  private final RedisKeys keys;

  Idempotency(RedisStore redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  /**
   * Claims {@code key} for resource {@code id} (SET NX): answers {@code id} when this request owns
   * it, the earlier resource's id when the same body came with the key before, and fails with 422
   * when the key came with another body.
   */
  Future<String> claim(String key, String bodyHash, String id) {
    return claim(key, bodyHash, id, true);
  }

  private Future<String> claim(String key, String bodyHash, String id, boolean retry) {
    String redisKey = keys.idempotency(key);
    JsonObject pending =
        new JsonObject().put("hash", bodyHash).put("id", id).put("state", "pending");
    return redis
        .send(
            Request.cmd(Command.SET)
                .arg(redisKey)
                .arg(pending.encode())
                .arg("NX")
                .arg("EX")
                .arg(KEEP_SECONDS))
        .compose(
            set -> {
              if (set != null && "OK".equals(set.toString())) {
                return Future.succeededFuture(id);
              }
              return redis
                  .send(Request.cmd(Command.GET).arg(redisKey))
                  .compose(
                      existing -> {
                        if (existing == null) {
                          // Expired between SET and GET: try once more.
                          return retry
                              ? claim(key, bodyHash, id, false)
                              : Future.failedFuture(
                                  Problem.unavailable("Idempotency-Key could not be claimed; retry")
                                      .exception());
                        }
                        JsonObject stored = new JsonObject(existing.toString());
                        if (!bodyHash.equals(stored.getString("hash"))) {
                          return Future.failedFuture(
                              Problem.unprocessable(
                                      HEADER,
                                      "Idempotency-Key was already used with a different request"
                                          + " body; use a new key for a new request")
                                  .exception());
                        }
                        return Future.succeededFuture(stored.getString("id"));
                      });
            });
  }

  /** Frees the key after the request failed, so the client's retry is a fresh attempt. */
  Future<Void> release(String key) {
    return redis.send(Request.cmd(Command.DEL).arg(keys.idempotency(key))).mapEmpty();
  }

  Future<Void> markPublished(String key, String bodyHash, String id) {
    JsonObject done =
        new JsonObject().put("hash", bodyHash).put("id", id).put("state", "published");
    return redis
        .send(
            Request.cmd(Command.SET)
                .arg(keys.idempotency(key))
                .arg(done.encode())
                .arg("XX")
                .arg("KEEPTTL"))
        .mapEmpty();
  }

  /**
   * SHA-256 of {@code value}'s canonical JSON without the fields named in {@code ignored} (what
   * differs between two submissions of the same request), prefixed by {@code kind} so one key
   * cannot match across kinds of request.
   */
  static String hash(String kind, Object value, List<String> ignored) {
    ObjectNode tree = Json.mapper().valueToTree(value);
    tree.remove(ignored);
    tree.put("__kind", kind);
    try {
      Object canonical = CANONICAL.treeToValue(tree, Object.class);
      byte[] bytes = CANONICAL.writeValueAsBytes(canonical);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot hash a request", e);
    }
  }
}
