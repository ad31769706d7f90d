package dev.slipway.gateway;

import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.DeploymentHash;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** JSON views of the deployer's app state; environment values never leave the gateway. */
final class AppViews {

  static final String QUEUED = "queued";

  private AppViews() {}

  static String self(String app) {
    return "/api/v1/apps/" + app;
  }

  static String deployment(String app, String id) {
    return self(app) + "/deployments/" + id;
  }

  static JsonObject links(String app, String deploymentId) {
    JsonObject links = new JsonObject().put("self", self(app));
    if (deploymentId != null) {
      links.put("deployment", deployment(app, deploymentId));
    }
    return links;
  }

  /** The app's summary, from its hash. */
  static JsonObject summary(String app, Map<String, String> hash) {
    JsonObject out = new JsonObject().put("name", app);
    JsonObject spec = redactedSpec(hash.get(AppHash.SPEC));
    putIfPresent(out, "image", hash.get(AppHash.IMAGE));
    if (spec != null) {
      putIfPresent(out, "strategy", spec.getString("strategy"));
    }
    putLong(out, "live_revision", hash.get(AppHash.LIVE_REVISION));
    putIfPresent(out, "live_color", hash.get(AppHash.LIVE_COLOR));
    putIfPresent(out, "live_container", hash.get(AppHash.LIVE_CONTAINER));
    putIfPresent(out, "live_deployment", hash.get(AppHash.LIVE_DEPLOYMENT));
    putIfPresent(out, "upstream", hash.get(AppHash.UPSTREAM));
    putIfPresent(out, "health", hash.get(AppHash.HEALTH));
    out.put("deploy_in_flight", AppHash.TRUE.equals(hash.get(AppHash.DEPLOY_IN_FLIGHT)));
    putIfPresent(out, "deploying", hash.get(AppHash.DEPLOYING));
    putIfPresent(out, "created_at", hash.get(AppHash.CREATED_AT));
    putIfPresent(out, "updated_at", hash.get(AppHash.UPDATED_AT));
    out.put("links", links(app, null));
    return out;
  }

  /** The app's full view: the summary, its spec (env keys only), revisions and deployments. */
  static JsonObject view(
      String app,
      Map<String, String> hash,
      Map<String, String> revisions,
      List<Map.Entry<String, Map<String, String>>> deployments) {
    JsonObject out = summary(app, hash);
    JsonObject spec = redactedSpec(hash.get(AppHash.SPEC));
    if (spec != null) {
      out.put("spec", spec);
    }
    List<JsonObject> history = new ArrayList<>();
    revisions.forEach(
        (number, json) -> {
          JsonObject entry = parse(json);
          if (entry == null) {
            return;
          }
          JsonObject r = new JsonObject().put("revision", Long.parseLong(number));
          putIfPresent(r, "deployment_id", entry.getString("deployment_id"));
          putIfPresent(r, "build_id", entry.getString("build_id"));
          putIfPresent(r, "deployed_at", entry.getValue("deployed_at"));
          Object revSpec = entry.getValue("spec");
          JsonObject s =
              revSpec instanceof JsonObject o
                  ? redact(o)
                  : revSpec instanceof String text ? redactedSpec(text) : null;
          if (s != null) {
            putIfPresent(r, "image", s.getString("image"));
            r.put("spec", s);
          }
          history.add(r);
        });
    history.sort((a, b) -> Long.compare(b.getLong("revision"), a.getLong("revision")));
    out.put("revisions", new JsonArray(new ArrayList<>(history)));
    JsonArray recent = new JsonArray();
    for (Map.Entry<String, Map<String, String>> d : deployments) {
      recent.add(deployment(app, d.getKey(), d.getValue()));
    }
    out.put("deployments", recent);
    return out;
  }

  /** One deployment's view, from its hash. */
  static JsonObject deployment(String app, String id, Map<String, String> hash) {
    JsonObject out = new JsonObject().put("id", id);
    putIfPresent(out, "kind", hash.get(DeploymentHash.KIND));
    putIfPresent(out, "strategy", hash.get(DeploymentHash.STRATEGY));
    out.put("status", hash.getOrDefault(DeploymentHash.STATUS, QUEUED));
    putIfPresent(out, "phase", hash.get(DeploymentHash.PHASE));
    putIfPresent(out, "reason", hash.get(DeploymentHash.REASON));
    putIfPresent(out, "message", hash.get(DeploymentHash.MESSAGE));
    putLong(out, "revision", hash.get(DeploymentHash.REVISION));
    putIfPresent(out, "color", hash.get(DeploymentHash.COLOR));
    putIfPresent(out, "container", hash.get(DeploymentHash.CONTAINER));
    putIfPresent(out, "upstream", hash.get(DeploymentHash.UPSTREAM));
    putIfPresent(out, "build_id", hash.get(DeploymentHash.BUILD_ID));
    putIfPresent(out, "superseded_by", hash.get(DeploymentHash.SUPERSEDED_BY));
    putIfPresent(out, "started_at", hash.get(DeploymentHash.STARTED_AT));
    putIfPresent(out, "finished_at", hash.get(DeploymentHash.FINISHED_AT));
    out.put("links", new JsonObject().put("self", deployment(app, id)).put("app", self(app)));
    return out;
  }

  /** The spec JSON with {@code env} replaced by {@code env_keys}: values may be secrets. */
  static JsonObject redactedSpec(String json) {
    JsonObject spec = parse(json);
    return spec == null ? null : redact(spec);
  }

  private static JsonObject redact(JsonObject spec) {
    JsonObject copy = spec.copy();
    Object env = copy.remove("env");
    TreeSet<String> names = new TreeSet<>();
    if (env instanceof JsonObject e) {
      names.addAll(e.fieldNames());
    } else if (env instanceof Map<?, ?> m) {
      m.keySet().forEach(k -> names.add(String.valueOf(k)));
    }
    copy.put("env_keys", new JsonArray(new ArrayList<>(names)));
    return copy;
  }

  private static JsonObject parse(String json) {
    if (json == null || json.isEmpty()) {
      return null;
    }
    try {
      return new JsonObject(json);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  private static void putIfPresent(JsonObject out, String field, Object value) {
    if (value != null && !"".equals(value)) {
      out.put(field, value);
    }
  }

  private static void putLong(JsonObject out, String field, String value) {
    if (value != null && !value.isEmpty()) {
      try {
        out.put(field, Long.parseLong(value));
      } catch (NumberFormatException e) {
        out.put(field, value);
      }
    }
  }
}
