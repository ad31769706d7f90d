package dev.slipway.infra.redis;

import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads Redis replies the same way whether the connection speaks RESP2 or RESP3. */
public final class RedisReplies {

  private RedisReplies() {}

  /** A hash reply (HGETALL): a RESP3 map or a RESP2 flat list of field, value pairs. */
  public static Map<String, String> hash(Response reply) {
    Map<String, String> out = new LinkedHashMap<>();
    if (reply == null) {
      return out;
    }
    if (reply.isMap()) {
      for (String key : reply.getKeys()) {
        Response value = reply.get(key);
        out.put(key, value == null ? null : value.toString());
      }
      return out;
    }
    for (int i = 0; i + 1 < reply.size(); i += 2) {
      out.put(
          reply.get(i).toString(), reply.get(i + 1) == null ? null : reply.get(i + 1).toString());
    }
    return out;
  }

  /** The members of a set or the items of a list reply (SMEMBERS, LRANGE) as strings. */
  public static List<String> strings(Response reply) {
    List<String> out = new ArrayList<>();
    if (reply != null) {
      reply.forEach(item -> out.add(item.toString()));
    }
    return out;
  }

  /** One stream entry: its id and its fields. */
  public record Entry(String id, Map<String, String> fields) {}

  /** The entries of an XRANGE reply. */
  public static List<Entry> entries(Response reply) {
    List<Entry> out = new ArrayList<>();
    if (reply == null) {
      return out;
    }
    for (Response entry : reply) {
      out.add(new Entry(entry.get(0).toString(), hash(entry.get(1))));
    }
    return out;
  }

  /**
   * The entries of an XREAD reply for one stream: RESP3 answers a map of key to entries, RESP2 a
   * list of [key, entries]; {@code null} when the block timed out.
   */
  public static List<Entry> xread(Response reply, String key) {
    if (reply == null) {
      return List.of();
    }
    if (reply.isMap()) {
      return entries(reply.get(key));
    }
    for (Response stream : reply) {
      if (key.equals(stream.get(0).toString())) {
        return entries(stream.get(1));
      }
    }
    return List.of();
  }

  /** Members with scores of a ZRANGE ... WITHSCORES reply, in reply order. */
  public static List<Map.Entry<String, String>> scored(Response reply) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    if (reply == null || reply.size() == 0) {
      return out;
    }
    if (reply.get(0).isArray()) {
      // RESP3: [[member, score], ...]
      for (Response pair : reply) {
        out.add(Map.entry(pair.get(0).toString(), pair.get(1).toString()));
      }
      return out;
    }
    for (int i = 0; i + 1 < reply.size(); i += 2) {
      out.add(Map.entry(reply.get(i).toString(), reply.get(i + 1).toString()));
    }
    return out;
  }
}
