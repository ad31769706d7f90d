package dev.slipway.gateway;

import dev.slipway.infra.redis.BuildHash;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;

/** The API's JSON view of a build, from the projection hash and the gateway's request hash. */
final class BuildViews {

  static final String QUEUED = "queued";

  /** Statuses after which nothing more happens to a build. */
  static final Set<String> FINISHED = Set.of("succeeded", "failed", "cancelled");

  private BuildViews() {}

  static String self(String id) {
    return "/api/v1/builds/" + id;
  }

  static JsonObject links(String id) {
    return new JsonObject().put("self", self(id)).put("logs", self(id) + "/logs");
  }

  /**
   * The build as a client sees it: the projection's fields over the request's, so a build the
   * reconciler has not projected yet reads as {@code queued} with what was asked.
   */
  static JsonObject view(String id, Map<String, String> projection, Map<String, String> request) {
    Map<String, String> merged = new java.util.HashMap<>(request);
    projection.forEach(
        (k, v) -> {
          if (v != null && !v.isEmpty()) {
            merged.put(k, v);
          }
        });
    JsonObject json = new JsonObject().put("id", id);
    json.put("status", merged.getOrDefault(BuildHash.STATUS, QUEUED));
    for (String field :
        new String[] {
          BuildHash.PHASE,
          BuildHash.REPOSITORY,
          BuildHash.REF,
          BuildHash.CONTEXT,
          BuildHash.DOCKERFILE,
          BuildHash.IMAGE
        }) {
      putIfPresent(json, field, merged.get(field));
    }
    String tags = merged.get(BuildHash.TAGS);
    if (tags != null) {
      try {
        json.put("tags", new JsonArray(tags));
      } catch (DecodeException e) {
        json.put("tags", new JsonArray());
      }
    }
    if (merged.get(BuildHash.PUSH) != null) {
      json.put("push", Boolean.parseBoolean(merged.get(BuildHash.PUSH)));
    }
    for (String field :
        new String[] {
          BuildHash.COMMIT_SHA,
          BuildHash.IMAGE_ID,
          BuildHash.DIGEST,
          BuildHash.REASON,
          BuildHash.MESSAGE,
          BuildHash.BUILDER
        }) {
      putIfPresent(json, field, merged.get(field));
    }
    String attempt = merged.get(BuildHash.ATTEMPT);
    if (attempt != null && attempt.matches("[0-9]{1,9}")) {
      json.put("attempt", Integer.parseInt(attempt));
    }
    JsonObject timings = new JsonObject();
    for (String field :
        new String[] {
          BuildHash.REQUESTED_AT, BuildHash.QUEUED_AT, BuildHash.STARTED_AT, BuildHash.FINISHED_AT
        }) {
      putIfPresent(timings, field, merged.get(field));
    }
    Instant started = instant(merged.get(BuildHash.STARTED_AT));
    Instant finished = instant(merged.get(BuildHash.FINISHED_AT));
    if (started != null && finished != null) {
      timings.put("duration_ms", Duration.between(started, finished).toMillis());
    }
    json.put("timings", timings);
    String logExpiresAt = merged.get(BuildHash.LOG_EXPIRES_AT);
    if (logExpiresAt != null && logExpiresAt.matches("[0-9]{1,15}")) {
      json.put("log_expires_at", Instant.ofEpochMilli(Long.parseLong(logExpiresAt)).toString());
    }
    json.put("links", links(id));
    return json;
  }

  private static void putIfPresent(JsonObject json, String field, String value) {
    if (value != null && !value.isEmpty()) {
      json.put(field, value);
    }
  }

  private static Instant instant(String value) {
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
