package dev.slipway.gateway.edge;

import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's copy of the route table, pushed, never polled: it loads {@link RedisKeys#routes()} at
 * start and again on every message the deployer publishes on {@link RedisKeys#routesChannel()}.
 *
 * <p>The subscription has a connection of its own (a subscribed connection can send nothing but
 * (un)subscribe and PING). When it drops, the table reconnects with backoff, subscribes again and
 * reloads, since changes published meanwhile were lost with the connection. A PING every few
 * seconds finds a connection that died without a word.
 *
 * <p>A load reads the version first and the hash second. The deployer writes the hash before it
 * bumps the version, so the table applied is at least as new as the version reported with it: an
 * edge that reports version v routes every new request by v or newer, which is what a drain relies
 * on. Loads run one at a time and a change during a load triggers one more, so the newest table
 * always wins.
 */
public final class RouteTable extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(RouteTable.class);
  private static final long PING_INTERVAL_MS = 5_000;
  private static final long MAX_BACKOFF_MS = 5_000;

  private final Redis redis;
  private final String redisUrl;
  private final RedisKeys keys;
  private final EdgeConfig config;
  private final CopyOnWriteArrayList<Consumer<Routes>> listeners = new CopyOnWriteArrayList<>();
  private volatile Routes current = Routes.EMPTY;

  // Confined to this verticle's context.
  private Redis subscriberClient;
  private RedisConnection subscriber;
  private boolean loading;
  private boolean loadAgain;
  private boolean stopped;
  private long backoffMs;
  private long pingTimer = -1;

  /**
   * @param redis the shared pooled client, for loads
   * @param redisUrl where to open the subscription connection
   */
  public RouteTable(Redis redis, String redisUrl, RedisKeys keys, EdgeConfig config) {
    this.redis = redis;
    this.redisUrl = redisUrl;
    this.keys = keys;
    this.config = config;
  }

  /** The table in force; safe from any thread. */
  public Routes current() {
    return current;
  }

  /** Called on this verticle's context after each table is applied. */
  public void onApplied(Consumer<Routes> listener) {
    listeners.add(listener);
  }

  @Override
  public Future<?> start() {
    // Subscribe before the first load, so a change between the two is not missed.
    return subscribe()
        .compose(v -> load())
        .map(
            routes -> {
              apply(routes);
              pingTimer = vertx.setPeriodic(PING_INTERVAL_MS, t -> ping());
              return null;
            });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(pingTimer);
    return closeSubscriber();
  }

  private Future<Void> subscribe() {
    RedisOptions options = new RedisOptions().setConnectionString(redisUrl).setMaxPoolSize(1);
    options
        .getNetClientOptions()
        .setConnectTimeout((int) config.redisTimeout().toMillis())
        .setTcpKeepAlive(true);
    // A client per subscription, so a dead connection can never go back into a pool.
    Redis client = Redis.createClient(vertx, options);
    return client
        .connect()
        .timeout(config.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .compose(
            connection -> {
              connection.handler(this::onMessage);
              connection.exceptionHandler(e -> lost(connection, e.toString()));
              connection.endHandler(v -> lost(connection, "connection closed"));
              return connection
                  .send(Request.cmd(Command.SUBSCRIBE).arg(keys.routesChannel()))
                  .timeout(config.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
                  .map(
                      reply -> {
                        subscriberClient = client;
                        subscriber = connection;
                        return (Void) null;
                      });
            })
        .onFailure(e -> client.close());
  }

  private void onMessage(Response message) {
    // ["message", channel, version]; subscription confirmations come this way too in RESP3.
    if (message.size() >= 3 && "message".equals(message.get(0).toString())) {
      reload();
    }
  }

  private void ping() {
    RedisConnection connection = subscriber;
    if (connection == null) {
      return;
    }
    connection
        .send(Request.cmd(Command.PING))
        .timeout(config.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .onFailure(e -> lost(connection, "ping failed: " + e));
  }

  private void lost(RedisConnection connection, String why) {
    if (connection != subscriber) {
      return;
    }
    log.warn("routes subscription lost error=\"{}\"", why);
    closeSubscriber();
    resubscribeLater();
  }

  private Future<Void> closeSubscriber() {
    RedisConnection connection = subscriber;
    Redis client = subscriberClient;
    subscriber = null;
    subscriberClient = null;
    if (client == null) {
      return Future.succeededFuture();
    }
    return connection.close().eventually(client::close).recover(e -> Future.succeededFuture());
  }

  private void resubscribeLater() {
    if (stopped) {
      return;
    }
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs == 0 ? 200 : backoffMs * 2);
    vertx.setTimer(
        backoffMs,
        t -> {
          if (stopped) {
            return;
          }
          subscribe()
              .onSuccess(
                  v -> {
                    backoffMs = 0;
                    log.info("routes subscription restored");
                    reload();
                  })
              .onFailure(
                  e -> {
                    log.warn("routes subscription retry failed error=\"{}\"", e.toString());
                    resubscribeLater();
                  });
        });
  }

  private void reload() {
    if (stopped) {
      return;
    }
    if (loading) {
      loadAgain = true;
      return;
    }
    loading = true;
    load()
        .onComplete(
            ar -> {
              loading = false;
              if (ar.succeeded()) {
                apply(ar.result());
              } else {
                log.warn("routes reload failed error=\"{}\"", ar.cause().toString());
                // Try again shortly rather than serve a stale table until the next change.
                vertx.setTimer(1_000, t -> reload());
              }
              if (loadAgain) {
                loadAgain = false;
                reload();
              }
            });
  }

  private Future<Routes> load() {
    long timeout = config.redisTimeout().toMillis();
    return redis
        .send(Request.cmd(Command.GET).arg(keys.routesVersion()))
        .timeout(timeout, TimeUnit.MILLISECONDS)
        .compose(
            version ->
                redis
                    .send(Request.cmd(Command.HGETALL).arg(keys.routes()))
                    .timeout(timeout, TimeUnit.MILLISECONDS)
                    .map(hash -> new Routes(version(version), upstreams(hash))));
  }

  private void apply(Routes routes) {
    Routes before = current;
    current = routes;
    if (routes.version() != before.version() || !routes.byApp().equals(before.byApp())) {
      log.info("routes applied version={} routes={}", routes.version(), routes.byApp().size());
    }
    listeners.forEach(listener -> listener.accept(routes));
  }

  private static long version(Response reply) {
    if (reply == null) {
      return 0;
    }
    try {
      return Long.parseLong(reply.toString());
    } catch (NumberFormatException e) {
      log.warn("routes version is not a number value=\"{}\"", reply);
      return 0;
    }
  }

  private static Map<String, Upstream> upstreams(Response reply) {
    Map<String, Upstream> out = new HashMap<>();
    RedisReplies.hash(reply)
        .forEach(
            (app, value) -> {
              Optional<Upstream> upstream = Upstream.parse(value);
              if (upstream.isPresent()) {
                out.put(app, upstream.get());
              } else {
                log.warn("route ignored app={} upstream=\"{}\"", app, value);
              }
            });
    return out;
  }
}
