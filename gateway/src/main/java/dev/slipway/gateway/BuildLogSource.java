package dev.slipway.gateway;

import dev.slipway.gateway.RedisReplies.Entry;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.RedisKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A build's log as SSE: the whole log replayed (or from {@code Last-Event-ID}), then live, ending
 * after the {@code status} entry.
 */
final class BuildLogSource implements SseSource {

  private final String buildId;
  private final String key;

  BuildLogSource(RedisKeys keys, String buildId) {
    this.buildId = buildId;
    this.key = keys.buildLog(buildId);
  }

  @Override
  public String key() {
    return key;
  }

  @Override
  public String label() {
    return "buildId=" + buildId;
  }

  @Override
  public Future<String> begin(SseClient client, String lastEventId) {
    return Future.succeededFuture(lastEventId);
  }

  @Override
  public SseEvent render(Entry entry) {
    Map<String, String> f = entry.fields();
    String type = f.getOrDefault(BuildHash.Log.TYPE, "");
    JsonObject data = new JsonObject();
    switch (type) {
      case "log" -> {
        String seq = f.get(BuildHash.Log.SEQ);
        if (seq != null && seq.matches("[0-9]{1,18}")) {
          data.put("seq", Long.parseLong(seq));
        }
        put(data, "time", f.get(BuildHash.Log.TIME));
        put(data, "stream", f.get(BuildHash.Log.STREAM));
        data.put("text", f.getOrDefault(BuildHash.Log.TEXT, ""));
      }
      case "phase" -> {
        put(data, "phase", f.get(BuildHash.Log.PHASE));
        put(data, "time", f.get(BuildHash.Log.TIME));
      }
      case "status" -> {
        put(data, "status", f.get(BuildHash.Log.STATUS));
        put(data, "reason", f.get(BuildHash.Log.REASON));
        put(data, "message", f.get(BuildHash.Log.MESSAGE));
        put(data, "time", f.get(BuildHash.Log.TIME));
      }
      default -> {
        // An entry type this gateway does not know: skipped.
        return null;
      }
    }
    return new SseEvent(type, data, type.equals("status"));
  }

  static void put(JsonObject json, String field, String value) {
    if (value != null && !value.isEmpty()) {
      json.put(field, value);
    }
  }
}
