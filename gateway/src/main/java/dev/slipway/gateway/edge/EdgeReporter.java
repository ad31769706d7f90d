package dev.slipway.gateway.edge;

import dev.slipway.infra.redis.RedisKeys;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes this edge's report {@link RedisKeys#edge(String)}, the other half of the drain protocol:
 * {@code version} = the routes version the edge serves, {@code inflight:<upstream>} = requests in
 * flight to that upstream, for every routed upstream (0 when idle) and every other upstream that
 * still has requests in flight. An upstream that is absent has none. Each write replaces the whole
 * hash in one transaction and sets a {@value #TTL_DESCRIPTION} expiry, so a dead gateway drops out.
 *
 * <p>Written every interval, and at once after a new table is applied and whenever an upstream no
 * route points at goes idle: that is the moment a drain waits for. Upstreams still routed go idle
 * all the time under load, so their zeros wait for the next tick. Writes never overlap; a write
 * asked for during one follows it.
 */
public final class EdgeReporter extends VerticleBase {

  /** The report field carrying the routes version. */
  public static final String VERSION = "version";

  /** The prefix of the report fields carrying in-flight counts: {@code inflight:<host:port>}. */
  public static final String INFLIGHT_PREFIX = "inflight:";

  static final String TTL_DESCRIPTION = "5 s";

  private static final Logger log = LoggerFactory.getLogger(EdgeReporter.class);

  private final String redisUrl;
  private final RedisKeys keys;
  private final String instanceId;
  private final RouteTable routes;
  private final InFlight inFlight;
  private final EdgeConfig config;

  private Context context;
  private Redis redis;
  private long timer = -1;
  private boolean writing;
  private boolean writeAgain;
  private boolean stopped;
  private Future<Void> lastWrite = Future.succeededFuture();

  /**
   * @param redisUrl where to write; the reporter keeps a connection of its own, so a busy shared
   *     pool cannot delay a report, and so it outlives the shared client at shutdown to remove it
   */
  public EdgeReporter(
      String redisUrl,
      RedisKeys keys,
      String instanceId,
      RouteTable routes,
      InFlight inFlight,
      EdgeConfig config) {
    this.redisUrl = redisUrl;
    this.keys = keys;
    this.instanceId = instanceId;
    this.routes = routes;
    this.inFlight = inFlight;
    this.config = config;
  }

  @Override
  public Future<?> start() {
    context = vertx.getOrCreateContext();
    RedisOptions options =
        new RedisOptions().setConnectionString(redisUrl).setMaxPoolSize(1).setMaxPoolWaiting(64);
    options
        .getNetClientOptions()
        .setConnectTimeout((int) config.redisTimeout().toMillis())
        .setTcpKeepAlive(true);
    // Created on this verticle's context: Vert.x closes it after stop(), not before.
    redis = Redis.createClient(vertx, options);
    routes.onApplied(applied -> context.runOnContext(v -> report()));
    inFlight.onIdle(
        upstream -> {
          if (!routes.current().upstreams().contains(upstream)) {
            context.runOnContext(v -> report());
          }
        });
    timer = vertx.setPeriodic(config.reportInterval().toMillis(), t -> report());
    return write();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    // A gateway shutting down leaves no report behind for a drain to wait on; a write still
    // under way must land before the delete, not after it.
    return lastWrite
        .transform(ar -> redis.send(Request.cmd(Command.DEL).arg(keys.edge(instanceId))))
        .timeout(config.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .onFailure(
            e ->
                log.warn(
                    "edge report not removed instanceId={} error=\"{}\"", instanceId, e.toString()))
        .recover(e -> Future.succeededFuture());
  }

  /** The report as it would be written now: field to value. */
  Map<String, String> fields() {
    // Version before counts: a request counted under an older table is then still visible.
    Routes table = routes.current();
    Map<Upstream, Integer> counts = inFlight.snapshot();
    Map<String, String> fields = new TreeMap<>();
    fields.put(VERSION, Long.toString(table.version()));
    for (Upstream upstream : table.upstreams()) {
      fields.put(INFLIGHT_PREFIX + upstream, "0");
    }
    counts.forEach((upstream, n) -> fields.put(INFLIGHT_PREFIX + upstream, Integer.toString(n)));
    return fields;
  }

  private void report() {
    if (stopped) {
      return;
    }
    if (writing) {
      writeAgain = true;
      return;
    }
    write()
        .onFailure(e -> log.warn("edge report failed instanceId={} error=\"{}\"", instanceId, e));
  }

  private Future<Void> write() {
    writing = true;
    String key = keys.edge(instanceId);
    Request hset = Request.cmd(Command.HSET).arg(key);
    fields()
        .forEach(
            (field, value) -> {
              hset.arg(field);
              hset.arg(value);
            });
    lastWrite =
        redis
            .batch(
                List.of(
                    Request.cmd(Command.MULTI),
                    Request.cmd(Command.DEL).arg(key),
                    hset,
                    Request.cmd(Command.PEXPIRE).arg(key).arg(config.reportTtl().toMillis()),
                    Request.cmd(Command.EXEC)))
            .timeout(config.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .<Void>mapEmpty()
            .andThen(
                ar -> {
                  writing = false;
                  if (writeAgain) {
                    writeAgain = false;
                    report();
                  }
                });
    return lastWrite;
  }
}
