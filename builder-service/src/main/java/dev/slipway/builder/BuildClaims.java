package dev.slipway.builder;

import dev.slipway.infra.redis.RedisKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Which builder runs a build, kept in Redis under {@link RedisKeys#builderClaim(String)} so a
 * command delivered twice runs once and a build whose builder died is taken over.
 *
 * <p>The claim is a JSON string: owner (one builder process), attempt, state ({@code active} or the
 * terminal state), lease deadline, reserved log seq, cancel flag, and, between recording a verdict
 * and publishing it, the terminal event itself. Every change is one Lua script, so two builders
 * never both win; lease deadlines use the Redis server's clock, so builders' clocks need not agree.
 * The key lives {@value #TTL_DAYS} days, as long as Kafka keeps commands by default, so a replayed
 * command finds its verdict.
 */
final class BuildClaims {

  static final int TTL_DAYS = 7;
  private static final long TTL_MS = TimeUnit.DAYS.toMillis(TTL_DAYS);
  private static final long REDIS_TIMEOUT_MS = 5_000;

  private static final String NOW =
      "local t = redis.call('TIME')\n"
          + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n";

  private static final String ACQUIRE =
      NOW
          + """
          local lease = tonumber(ARGV[3])
          local raw = redis.call('GET', KEYS[1])
          if not raw then
            local c = {owner=ARGV[1], builder=ARGV[2], attempt=1, state='active',
                       lease_until=now+lease, reserved=0, cancel=0}
            redis.call('SET', KEYS[1], cjson.encode(c), 'PX', ARGV[5])
            return {'new', 1, '', 0, 0, '', 0, ''}
          end
          local c = cjson.decode(raw)
          if c.state ~= 'active' then
            return {'done', c.attempt, c.builder, c.reserved, c.cancel, c.state,
                    c.published or 0, c.event or ''}
          end
          if c.owner == '' then
            c.owner = ARGV[1]; c.builder = ARGV[2]; c.attempt = 1; c.lease_until = now + lease
            redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
            return {'new', 1, '', c.reserved, c.cancel, '', 0, ''}
          end
          if c.lease_until > now then
            return {'held', c.attempt, c.builder, c.reserved, c.cancel, '', 0, ''}
          end
          local previous = c.builder
          c.owner = ARGV[1]; c.builder = ARGV[2]; c.lease_until = now + lease
          if c.attempt >= tonumber(ARGV[4]) then
            redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
            return {'exhausted', c.attempt, previous, c.reserved, c.cancel, '', 0, ''}
          end
          c.attempt = c.attempt + 1
          redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
          return {'takeover', c.attempt, previous, c.reserved, c.cancel, '', 0, ''}
          """;

  private static final String RENEW =
      NOW
          + """
          local raw = redis.call('GET', KEYS[1])
          if not raw then return {'lost', 0} end
          local c = cjson.decode(raw)
          if c.owner ~= ARGV[1] or c.state ~= 'active' then return {'lost', 0} end
          c.lease_until = now + tonumber(ARGV[2])
          local reserve = tonumber(ARGV[3])
          if reserve > c.reserved then c.reserved = reserve end
          redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
          return {'ok', c.cancel}
          """;

  private static final String CANCEL =
      """
      local raw = redis.call('GET', KEYS[1])
      if not raw then
        local c = {owner='', builder='', attempt=0, state='active', lease_until=0, reserved=0,
                   cancel=1}
        redis.call('SET', KEYS[1], cjson.encode(c), 'PX', ARGV[1])
        return 'pending'
      end
      local c = cjson.decode(raw)
      if c.state ~= 'active' then return 'done' end
      c.cancel = 1
      redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
      return 'flagged'
      """;

  private static final String FINISH =
      """
      local raw = redis.call('GET', KEYS[1])
      if not raw then return 0 end
      local c = cjson.decode(raw)
      if c.owner ~= ARGV[1] or c.state ~= 'active' then return 0 end
      c.state = ARGV[2]; c.event = ARGV[3]; c.published = 0; c.lease_until = 0
      redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
      return 1
      """;

  private static final String PUBLISHED =
      """
      local raw = redis.call('GET', KEYS[1])
      if not raw then return 0 end
      local c = cjson.decode(raw)
      if c.state == 'active' then return 0 end
      c.published = 1; c.event = nil
      redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
      return 1
      """;

  /** What {@link #acquire} found. */
  enum Outcome {
    /** Nobody had it: this builder runs attempt 1. */
    NEW,
    /** Its builder's lease ran out: this builder runs the next attempt. */
    TAKEOVER,
    /** Its builder's lease ran out on the last allowed attempt: this builder fails it. */
    EXHAUSTED,
    /** Another builder holds a live lease. */
    HELD,
    /** The build has a verdict already. */
    DONE
  }

  /**
   * @param previousBuilder the builder that held it before (takeover, exhausted) or holds it (held)
   * @param reserved log seq numbers up to this may have been used by earlier attempts
   * @param cancel whether a cancel was requested
   * @param state the terminal state, for {@link Outcome#DONE}
   * @param published whether the terminal event is known to be on Kafka, for {@link Outcome#DONE}
   * @param event the stored terminal event when not yet published, else empty
   */
  record Claim(
      Outcome outcome,
      int attempt,
      String previousBuilder,
      long reserved,
      boolean cancel,
      String state,
      boolean published,
      String event) {}

  /** What a renewal found. */
  record Renewal(boolean owned, boolean cancel) {}

  private final Redis redis;
  private final RedisKeys keys;
  private final String owner;
  private final String builder;
  private final Duration lease;
  private final int maxAttempts;

  /**
   * @param builder this instance's id, shown to people in events and messages
   */
  BuildClaims(Redis redis, RedisKeys keys, String builder, Duration lease, int maxAttempts) {
    this.redis = redis;
    this.keys = keys;
    this.builder = builder;
    // Unique per process start: a restarted instance with the same id must not resume old leases.
    this.owner = builder + "/" + UUID.randomUUID().toString().substring(0, 8);
    this.lease = lease;
    this.maxAttempts = maxAttempts;
  }

  Future<Claim> acquire(String buildId) {
    return eval(
            ACQUIRE,
            keys.builderClaim(buildId),
            owner,
            builder,
            Long.toString(lease.toMillis()),
            Integer.toString(maxAttempts),
            Long.toString(TTL_MS))
        .map(
            r ->
                new Claim(
                    Outcome.valueOf(r.get(0).toString().toUpperCase(java.util.Locale.ROOT)),
                    r.get(1).toInteger(),
                    r.get(2).toString(),
                    r.get(3).toLong(),
                    r.get(4).toInteger() != 0,
                    r.get(5).toString(),
                    r.get(6).toInteger() != 0,
                    r.get(7).toString()));
  }

  /** Extends the lease and reserves log seq numbers up to {@code reserveUpTo}. */
  Future<Renewal> renew(String buildId, long reserveUpTo) {
    return eval(
            RENEW,
            keys.builderClaim(buildId),
            owner,
            Long.toString(lease.toMillis()),
            Long.toString(reserveUpTo))
        .map(r -> new Renewal("ok".equals(r.get(0).toString()), r.get(1).toInteger() != 0));
  }

  /**
   * Flags the build for cancellation: whoever holds it sees the flag on its next renewal; a build
   * nobody has claimed yet is cancelled by the builder that claims it.
   *
   * @return {@code pending}, {@code flagged} or {@code done}
   */
  Future<String> requestCancel(String buildId) {
    return eval(CANCEL, keys.builderClaim(buildId), Long.toString(TTL_MS)).map(Response::toString);
  }

  /**
   * Records the verdict and its event, if this builder still holds the build.
   *
   * @return false when another builder took the build over
   */
  Future<Boolean> finish(String buildId, String state, String eventJson) {
    return eval(FINISH, keys.builderClaim(buildId), owner, state, eventJson)
        .map(r -> r.toInteger() == 1);
  }

  /** The terminal event is on Kafka: a redelivered command needs nothing more. */
  Future<Void> published(String buildId) {
    return eval(PUBLISHED, keys.builderClaim(buildId)).mapEmpty();
  }

  String builder() {
    return builder;
  }

  private Future<Response> eval(String script, String key, String... args) {
    Request request = Request.cmd(Command.EVAL).arg(script).arg(1).arg(key);
    for (String arg : args) {
      request.arg(arg);
    }
    return redis.send(request).timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }
}
