package dev.slipway.reconciler;

import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.redis.RedisKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the build projection: one atomic Lua script per build event or log batch, each safe to run
 * twice, so at-least-once delivery and replays have one effect.
 */
public final class BuildProjectionStore {

  /** How many entries the change feed keeps, about. */
  public static final int FEED_MAX_ENTRIES = 10_000;

  /** The longest a script may take to answer before the handler fails and is retried. */
  public static final Duration REDIS_TIMEOUT = Duration.ofSeconds(5);

  private final Redis redis;
  private final RedisKeys keys;
  private final ReconcilerConfig config;

  public BuildProjectionStore(Redis redis, RedisKeys keys, ReconcilerConfig config) {
    this.redis = redis;
    this.keys = keys;
    this.config = config;
  }

  /** Applies a build event; the Future holds whether the build's status or phase changed. */
  public Future<Boolean> apply(BuildProjection.Update update) {
    String id = update.buildId();
    List<String> args = new ArrayList<>(10 + update.fields().size() * 2);
    args.add(id);
    args.add(update.status() == null ? "" : update.status());
    args.add(update.phase() == null ? "" : update.phase());
    args.add(update.phaseEntry() ? "1" : "0");
    args.add(BuildProjection.time(update.at()));
    args.add(Long.toString(update.at().toEpochMilli()));
    args.add(update.rescore() ? "1" : "0");
    args.add(update.logLines() == null ? "" : Long.toString(update.logLines()));
    args.add(Integer.toString(FEED_MAX_ENTRIES));
    args.add(Long.toString(config.buildLogRetention().toMillis()));
    for (Map.Entry<String, String> field : update.fields().entrySet()) {
      args.add(field.getKey());
      args.add(field.getValue());
    }
    return BuildScripts.EVENT
        .run(
            redis,
            List.of(keys.build(id), keys.buildLog(id), keys.builds(), keys.feed()),
            args,
            REDIS_TIMEOUT)
        .map(response -> changed(response) > 0);
  }

  /** Appends a batch's new lines; the Future holds how many were new. */
  public Future<Long> append(BuildLogBatch batch) {
    String id = batch.buildId();
    List<String> args = new ArrayList<>(4);
    args.add(Integer.toString(config.buildLogMaxLines()));
    args.addAll(BuildProjection.logArguments(batch));
    return BuildScripts.LOG
        .run(redis, List.of(keys.build(id), keys.buildLog(id)), args, REDIS_TIMEOUT)
        .map(BuildProjectionStore::changed);
  }

  private static long changed(Response response) {
    return response == null ? 0 : response.toLong();
  }
}
