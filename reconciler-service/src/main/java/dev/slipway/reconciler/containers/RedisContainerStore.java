package dev.slipway.reconciler.containers;

import dev.slipway.infra.json.Json;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The container projection in Redis: hash {@code container:<id>}, set {@code containers}, entries
 * on the stream {@code feed}. Each write is one Lua script, so a reader never sees half an entry or
 * an entry without its feed line.
 */
public final class RedisContainerStore implements ContainerStore {

  /** The change feed is for live followers, not history: a cap keeps it small. */
  static final int FEED_MAX_LENGTH = 10_000;

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  // KEYS: entry hash, container set, feed. ARGV: id, feed cap, JSON [f,v,...], JSON [[f,v,...],..]
  private static final String WRITE =
      """
      redis.call('DEL', KEYS[1])
      local fields = cjson.decode(ARGV[3])
      if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
      redis.call('SADD', KEYS[2], ARGV[1])
      for _, entry in ipairs(cjson.decode(ARGV[4])) do
        redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', unpack(entry))
      end
      return 1
      """;

  private static final String REMOVE =
      """
      redis.call('DEL', KEYS[1])
      redis.call('SREM', KEYS[2], ARGV[1])
      return 1
      """;

  private final Redis redis;
  private final RedisKeys keys;

  public RedisContainerStore(Redis redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  @Override
  public Future<ContainerEntry> read(String containerId) {
    return send(Request.cmd(Command.HGETALL).arg(keys.container(containerId)))
        .map(response -> ContainerEntry.fromHash(containerId, RedisReplies.hash(response)));
  }

  @Override
  public Future<Set<String>> ids() {
    return send(Request.cmd(Command.SMEMBERS).arg(keys.containers()))
        .map(response -> new HashSet<>(RedisReplies.strings(response)));
  }

  @Override
  public Future<Void> write(ContainerEntry entry, List<Map<String, String>> feed) {
    List<String> fields = new ArrayList<>();
    entry
        .toHash()
        .forEach(
            (k, v) -> {
              fields.add(k);
              fields.add(v);
            });
    Request script =
        Request.cmd(Command.EVAL)
            .arg(WRITE)
            .arg(3)
            .arg(keys.container(entry.id()))
            .arg(keys.containers())
            .arg(keys.feed())
            .arg(entry.id())
            .arg(FEED_MAX_LENGTH)
            .arg(Json.toString(fields))
            .arg(Json.toString(flatten(feed)));
    return send(script).mapEmpty();
  }

  @Override
  public Future<Void> remove(String containerId) {
    return send(Request.cmd(Command.EVAL)
            .arg(REMOVE)
            .arg(2)
            .arg(keys.container(containerId))
            .arg(keys.containers())
            .arg(containerId))
        .mapEmpty();
  }

  @Override
  public Future<Void> appendFeed(List<Map<String, String>> feed) {
    Future<Void> chain = Future.succeededFuture();
    for (List<String> entry : flatten(feed)) {
      Request xadd =
          Request.cmd(Command.XADD)
              .arg(keys.feed())
              .arg("MAXLEN")
              .arg("~")
              .arg(FEED_MAX_LENGTH)
              .arg("*");
      entry.forEach(xadd::arg);
      chain = chain.compose(v -> send(xadd).mapEmpty());
    }
    return chain;
  }

  private static List<List<String>> flatten(List<Map<String, String>> feed) {
    List<List<String>> entries = new ArrayList<>();
    for (Map<String, String> entry : feed) {
      List<String> flat = new ArrayList<>();
      entry.forEach(
          (k, v) -> {
            flat.add(k);
            flat.add(v);
          });
      entries.add(flat);
    }
    return entries;
  }

  private Future<Response> send(Request request) {
    return redis.send(request).timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }
}
