package dev.slipway.gateway;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The shared Redis pool with the gateway's limits: every command has a timeout, and a Redis that
 * does not answer becomes a 503 problem for the client, never a hung request.
 */
final class RedisStore {

  private final Redis redis;
  private final long timeoutMs;

  RedisStore(Redis redis, Duration timeout) {
    this.redis = redis;
    this.timeoutMs = timeout.toMillis();
  }

  Future<Response> send(Request request) {
    return redis
        .send(request)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(RedisStore::unavailable);
  }

  Future<List<Response>> batch(List<Request> requests) {
    return redis
        .batch(requests)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(RedisStore::unavailable);
  }

  private static <T> Future<T> unavailable(Throwable e) {
    return Future.failedFuture(
        Problem.unavailable("Redis did not answer in time; retry").exception());
  }
}
