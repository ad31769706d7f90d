package dev.slipway.infra.redis;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;

/** Creates Vert.x Redis clients with the pool sizes every Slipway service uses. */
public final class RedisClients {

  private RedisClients() {}

  /**
   * A pooled client for {@code redisUrl} ({@code redis://[user:password@]host:port[/db]}).
   *
   * <p>Commands beyond the pool size queue up to a bound and then fail fast instead of growing
   * without limit; the client has no per-command timeout, so callers put {@code .timeout(...)} on
   * the futures they wait for.
   */
  public static Redis create(Vertx vertx, String redisUrl) {
    RedisOptions options =
        new RedisOptions()
            .setConnectionString(redisUrl)
            .setMaxPoolSize(16)
            .setMaxPoolWaiting(256)
            .setMaxWaitingHandlers(4096)
            .setPoolRecycleTimeout(15_000);
    options.getNetClientOptions().setConnectTimeout(5_000).setTcpKeepAlive(true);
    return Redis.createClient(vertx, options);
  }
}
