package dev.slipway.gateway;

import dev.slipway.infra.redis.ContainerHash;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** The API's JSON view of a managed container, from its projection hash. */
final class ContainerViews {

  private static final String[] TEXT_FIELDS = {
    ContainerHash.NAME,
    ContainerHash.APP,
    ContainerHash.ROLE,
    ContainerHash.COLOR,
    ContainerHash.REVISION,
    ContainerHash.DEPLOYMENT,
    ContainerHash.IMAGE,
    ContainerHash.IMAGE_ID,
    ContainerHash.STATE,
    ContainerHash.HEALTH
  };

  private static final String[] TIME_FIELDS = {
    ContainerHash.STARTED_AT,
    ContainerHash.FINISHED_AT,
    ContainerHash.LAST_EVENT,
    ContainerHash.LAST_EVENT_AT,
    ContainerHash.UPDATED_AT,
    ContainerHash.MISSING_SINCE
  };

  private ContainerViews() {}

  static String self(String id) {
    return "/api/v1/containers/" + id;
  }

  /** The container as a client sees it; {@code ports} as a JSON array, counts as numbers. */
  static JsonObject view(String id, Map<String, String> hash) {
    JsonObject json = new JsonObject().put("id", id);
    for (String field : TEXT_FIELDS) {
      BuildLogSource.put(json, field, hash.get(field));
    }
    json.put("ports", ports(hash.get(ContainerHash.PORTS)));
    for (String field : TIME_FIELDS) {
      BuildLogSource.put(json, field, hash.get(field));
    }
    putInt(json, ContainerHash.EXIT_CODE, hash.get(ContainerHash.EXIT_CODE));
    putInt(json, ContainerHash.RESTART_COUNT, hash.get(ContainerHash.RESTART_COUNT));
    json.put("links", new JsonObject().put("self", self(id)));
    return json;
  }

  // A malformed value is shown as no ports rather than failing the whole list.
  private static JsonArray ports(String raw) {
    if (raw == null || raw.isEmpty()) {
      return new JsonArray();
    }
    try {
      return new JsonArray(raw);
    } catch (DecodeException | ClassCastException e) {
      return new JsonArray();
    }
  }

  private static void putInt(JsonObject json, String field, String value) {
    if (value != null && value.matches("-?[0-9]{1,9}")) {
      json.put(field, Integer.parseInt(value));
    }
  }
}
