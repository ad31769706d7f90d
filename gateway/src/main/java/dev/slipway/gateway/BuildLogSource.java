package dev.slipway.gateway;

import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies.Entry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A build's log as SSE: the whole log replayed (or from {@code Last-Event-ID}), then live, ending
 * after the {@code status} entry.
 *
 * <p>A log entry holds a run of lines, each already the JSON of its {@code log} event, so a line
 * goes out as it is. Its event id is the entry's id and the line's index in the entry, {@code
 * <entry id>.<index>}: resuming there sends the entry's later lines, then the entries after it.
 * Phase and status events have the entry's id.
 */
final class BuildLogSource implements SseSource {

  private final String buildId;
  private final String key;

  // A resume in the middle of an entry: that entry's lines up to this index were sent already.
  private String resumeEntry;
  private int resumeAfterLine = -1;

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
    int dot = lastEventId == null ? -1 : lastEventId.indexOf('.');
    if (dot < 0) {
      return Future.succeededFuture(lastEventId);
    }
    resumeEntry = lastEventId.substring(0, dot);
    resumeAfterLine = Integer.parseInt(lastEventId.substring(dot + 1));
    // Read that entry again, from its next line on.
    return Future.succeededFuture(StreamIds.previous(resumeEntry));
  }

  @Override
  public boolean send(Entry entry, SseClient client) {
    Map<String, String> f = entry.fields();
    String type = f.getOrDefault(BuildHash.Log.TYPE, "");
    switch (type) {
      case "log" -> sendLines(entry, f.get(BuildHash.Log.LINES), client);
      case "phase" -> {
        JsonObject data = new JsonObject();
        put(data, "phase", f.get(BuildHash.Log.PHASE));
        put(data, "time", f.get(BuildHash.Log.TIME));
        client.event(entry.id(), type, data);
      }
      case "status" -> {
        JsonObject data = new JsonObject();
        put(data, "status", f.get(BuildHash.Log.STATUS));
        put(data, "reason", f.get(BuildHash.Log.REASON));
        put(data, "message", f.get(BuildHash.Log.MESSAGE));
        put(data, "time", f.get(BuildHash.Log.TIME));
        client.event(entry.id(), type, data);
        return true;
      }
      default -> {
        // An entry type this gateway does not know: skipped.
      }
    }
    return false;
  }

  private void sendLines(Entry entry, String lines, SseClient client) {
    if (lines == null) {
      return;
    }
    int skipThrough = -1;
    if (entry.id().equals(resumeEntry)) {
      skipThrough = resumeAfterLine;
      resumeEntry = null;
    }
    String prefix = entry.id() + ".";
    int from = 0;
    for (int index = 0; ; index++) {
      int newline = lines.indexOf('\n', from);
      int end = newline < 0 ? lines.length() : newline;
      if (index > skipThrough) {
        client.event(prefix + index, "log", lines, from, end);
      }
      if (newline < 0) {
        return;
      }
      from = newline + 1;
    }
  }

  static void put(JsonObject json, String field, String value) {
    if (value != null && !value.isEmpty()) {
      json.put(field, value);
    }
  }
}
