package dev.slipway.reconciler.containers;

import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Desired state from the deployer's {@code apps} set and {@code app:<name>} hashes. */
public final class RedisDesiredStates implements DesiredStates {

  private static final long TIMEOUT_MS = 5_000;

  private final Redis redis;
  private final RedisKeys keys;

  public RedisDesiredStates(Redis redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  @Override
  public Future<Set<String>> apps() {
    return redis
        .send(Request.cmd(Command.SMEMBERS).arg(keys.apps()))
        .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(response -> new HashSet<>(RedisReplies.strings(response)));
  }

  @Override
  public Future<AppState> app(String name) {
    String key;
    try {
      key = keys.app(name);
    } catch (IllegalArgumentException notAnAppName) {
      return Future.succeededFuture(null);
    }
    return redis
        .send(Request.cmd(Command.HGETALL).arg(key))
        .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(response -> AppState.fromHash(name, RedisReplies.hash(response)));
  }
}
