package dev.slipway.reconciler;

import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import dev.slipway.infra.testing.RedisPrefix;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Reads the build projection the way the gateway does, and deletes a test's keys. */
final class ProjectionReader {

  private final Redis redis;
  private final RedisKeys keys;

  ProjectionReader(Redis redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  RedisKeys keys() {
    return keys;
  }

  Response send(Request request) throws Exception {
    return redis.send(request).await(10, TimeUnit.SECONDS);
  }

  Map<String, String> hash(String buildId) throws Exception {
    return RedisReplies.hash(send(Request.cmd(Command.HGETALL).arg(keys.build(buildId))));
  }

  /** The build's log stream, oldest first, without stream ids. */
  List<Map<String, String>> log(String buildId) throws Exception {
    return entries(keys.buildLog(buildId));
  }

  /** The change feed entries about one build, oldest first, without stream ids. */
  List<Map<String, String>> feed(String buildId) throws Exception {
    return entries(keys.feed()).stream()
        .filter(e -> buildId.equals(e.get(BuildProjection.FEED_ID)))
        .toList();
  }

  /** The build list: id to score, in score order. */
  Map<String, Double> builds() throws Exception {
    Response r =
        send(Request.cmd(Command.ZRANGE).arg(keys.builds()).arg(0).arg(-1).arg("WITHSCORES"));
    Map<String, Double> scores = new LinkedHashMap<>();
    for (Response item : r) {
      if (item.isArray()) {
        scores.put(item.get(0).toString(), item.get(1).toDouble());
      }
    }
    if (scores.isEmpty()) {
      // RESP2 shape: member, score, member, score...
      for (int i = 0; i + 1 < r.size(); i += 2) {
        scores.put(r.get(i).toString(), r.get(i + 1).toDouble());
      }
    }
    return scores;
  }

  Double score(String buildId) throws Exception {
    Response r = send(Request.cmd(Command.ZSCORE).arg(keys.builds()).arg(buildId));
    return r == null ? null : r.toDouble();
  }

  /** The lines of every log entry, in stream order, each as the JSON text it is stored as. */
  List<String> lineJson(String buildId) throws Exception {
    List<String> lines = new ArrayList<>();
    for (Map<String, String> entry : log(buildId)) {
      if (BuildProjection.ENTRY_LOG.equals(entry.get(BuildHash.Log.TYPE))) {
        lines.addAll(List.of(entry.get(BuildHash.Log.LINES).split("\n", -1)));
      }
    }
    return lines;
  }

  /** The log lines' texts in stream order. */
  List<String> lineTexts(String buildId) throws Exception {
    List<String> texts = new ArrayList<>();
    for (String line : lineJson(buildId)) {
      texts.add(new JsonObject(line).getString("text"));
    }
    return texts;
  }

  /** Every key under the prefix. */
  List<String> allKeys() throws Exception {
    return RedisPrefix.keys(redis, keys.prefix());
  }

  void deleteAll() throws Exception {
    for (String key : allKeys()) {
      send(Request.cmd(Command.DEL).arg(key));
    }
  }

  private List<Map<String, String>> entries(String key) throws Exception {
    Response r = send(Request.cmd(Command.XRANGE).arg(key).arg("-").arg("+"));
    List<Map<String, String>> entries = new ArrayList<>();
    if (r != null) {
      for (Response entry : r) {
        entries.add(RedisReplies.hash(entry.get(1)));
      }
    }
    return entries;
  }
}
