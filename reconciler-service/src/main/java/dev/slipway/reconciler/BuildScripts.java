package dev.slipway.reconciler;

import static dev.slipway.reconciler.BuildProjection.CANCELLED;
import static dev.slipway.reconciler.BuildProjection.FAILED;
import static dev.slipway.reconciler.BuildProjection.QUEUED;
import static dev.slipway.reconciler.BuildProjection.RUNNING;
import static dev.slipway.reconciler.BuildProjection.SUCCEEDED;

import dev.slipway.infra.redis.BuildHash;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The build projection's Lua scripts, with the hash and stream field names filled in from {@link
 * BuildHash} and {@link BuildProjection}, so the scripts and the gateway read the same constants,
 * and the functions of {@code build-common.lua} that both scripts use.
 */
final class BuildScripts {

  private static final String MARKER = "-- @constants";

  static final LuaScript EVENT = load("build-event.lua");
  static final LuaScript LOG = load("build-log.lua");

  private BuildScripts() {}

  private static LuaScript load(String resource) {
    String source = read(resource);
    if (!source.contains(MARKER)) {
      throw new IllegalStateException(resource + " lacks the line " + MARKER);
    }
    return new LuaScript(resource, source.replace(MARKER, constants() + read("build-common.lua")));
  }

  private static String read(String resource) {
    try (InputStream in = BuildScripts.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing script resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String constants() {
    Map<String, String> hash = new LinkedHashMap<>();
    hash.put("id", BuildHash.ID);
    hash.put("status", BuildHash.STATUS);
    hash.put("phase", BuildHash.PHASE);
    hash.put("reason", BuildHash.REASON);
    hash.put("message", BuildHash.MESSAGE);
    hash.put("finished_at", BuildHash.FINISHED_AT);
    hash.put("updated_at", BuildHash.UPDATED_AT);
    hash.put("last_seq", BuildHash.LAST_SEQ);
    hash.put("log_lines", BuildProjection.LOG_LINES);
    hash.put("log_complete", BuildProjection.LOG_COMPLETE);
    hash.put("log_expires_at", BuildHash.LOG_EXPIRES_AT);
    Map<String, String> log = new LinkedHashMap<>();
    log.put("type", BuildHash.Log.TYPE);
    log.put("first", BuildHash.Log.FIRST);
    log.put("last", BuildHash.Log.LAST);
    log.put("lines", BuildHash.Log.LINES);
    log.put("time", BuildHash.Log.TIME);
    log.put("phase", BuildHash.Log.PHASE);
    log.put("status", BuildHash.Log.STATUS);
    log.put("reason", BuildHash.Log.REASON);
    log.put("message", BuildHash.Log.MESSAGE);
    Map<String, String> statuses = new LinkedHashMap<>();
    for (String status : new String[] {QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED}) {
      statuses.put(status, status);
    }
    Map<String, String> types = new LinkedHashMap<>();
    types.put("log", BuildProjection.ENTRY_LOG);
    types.put("phase", BuildProjection.ENTRY_PHASE);
    types.put("status", BuildProjection.ENTRY_STATUS);
    Map<String, String> feed = new LinkedHashMap<>();
    feed.put("kind", BuildProjection.FEED_KIND);
    feed.put("kind_build", BuildProjection.FEED_KIND_BUILD);
    feed.put("id", BuildProjection.FEED_ID);
    feed.put("status", BuildProjection.FEED_STATUS);
    feed.put("phase", BuildProjection.FEED_PHASE);
    feed.put("time", BuildProjection.FEED_TIME);
    return table("H", hash)
        + table("L", log)
        + table("S", statuses)
        + table("T", types)
        + table("F", feed);
  }

  private static String table(String name, Map<String, String> entries) {
    return "local "
        + name
        + " = { "
        + entries.entrySet().stream()
            .map(e -> e.getKey() + " = " + quote(e.getValue()))
            .collect(Collectors.joining(", "))
        + " }\n";
  }

  private static String quote(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
