package dev.slipway.gateway;

import dev.slipway.infra.redis.RedisReplies;
import dev.slipway.infra.redis.RedisReplies.Entry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Redis streams for SSE clients (build logs, the change feed): one reader per followed
 * stream, fanning out to every client of that stream.
 *
 * <p>Why one shared reader per stream rather than one per client: a build watched by a whole team,
 * or the change feed behind every open dashboard, then costs one blocking Redis connection, not one
 * per tab, and the number of blocking connections is bounded by the number of streams followed
 * ({@link GatewayOptions#maxLogFollowers()}), not by the number of clients. The reader never waits
 * for a client: it hands each entry to every client, and a client that cannot keep up stops taking
 * live entries and catches up from Redis (the stream is the buffer), or is disconnected.
 *
 * <p>Readers block in {@code XREAD BLOCK} on connections of their own client, never on the shared
 * pool, so a thousand idle streams cannot starve ordinary requests. Everything here runs on the
 * verticle's event loop.
 */
final class StreamHub {

  private static final Logger log = LoggerFactory.getLogger(StreamHub.class);

  /** How long one XREAD waits; a stopped reader lets go of its connection within this. */
  static final long BLOCK_MS = 2_000;

  private static final int COUNT = 500;

  private final Vertx vertx;
  private final Redis blocking;
  private final GatewayOptions options;
  private final Map<String, Follower> followers = new HashMap<>();
  private int clients;

  StreamHub(Vertx vertx, Redis blocking, GatewayOptions options) {
    this.vertx = vertx;
    this.blocking = blocking;
    this.options = options;
  }

  /** Takes a client slot; false when the gateway already serves as many SSE clients as allowed. */
  boolean admit() {
    if (clients >= options.maxSseClients()) {
      return false;
    }
    clients++;
    return true;
  }

  void release() {
    clients--;
  }

  int followed() {
    return followers.size();
  }

  /**
   * Adds {@code client} to the reader of the stream {@code key}, starting one if needed; completes
   * once the reader knows where it reads from, so everything after that reaches the client live.
   */
  Future<Void> join(String key, SseClient client) {
    Follower follower = followers.get(key);
    if (follower == null) {
      if (followers.size() >= options.maxLogFollowers()) {
        return Future.failedFuture(
            Problem.unavailable("too many streams are being followed; retry shortly").exception());
      }
      follower = new Follower(key);
      followers.put(key, follower);
      follower.start();
    }
    follower.clients.add(client);
    return follower.ready.future();
  }

  void leave(String key, SseClient client) {
    Follower follower = followers.get(key);
    if (follower != null && follower.clients.remove(client) && follower.clients.isEmpty()) {
      followers.remove(key);
      follower.stop();
    }
  }

  void close() {
    followers.values().forEach(Follower::stop);
    followers.clear();
  }

  /** One stream's reader. */
  private final class Follower {
    final String key;
    final Set<SseClient> clients = new LinkedHashSet<>();
    final Promise<Void> ready = Promise.promise();
    RedisConnection connection;
    String position;
    boolean stopped;
    boolean reading;

    Follower(String key) {
      this.key = key;
    }

    void start() {
      connect();
    }

    private void connect() {
      blocking
          .connect()
          .timeout(options.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .compose(
              c -> {
                connection = c;
                if (position != null) {
                  return Future.succeededFuture();
                }
                // Start after the newest entry that exists now: clients replay everything up to
                // here themselves, and this reader delivers everything after it.
                return c.send(
                        Request.cmd(Command.XREVRANGE)
                            .arg(key)
                            .arg("+")
                            .arg("-")
                            .arg("COUNT")
                            .arg(1))
                    .timeout(options.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .map(
                        reply -> {
                          List<Entry> last = RedisReplies.entries(reply);
                          position = last.isEmpty() ? "0-0" : last.get(0).id();
                          return null;
                        });
              })
          .onSuccess(
              v -> {
                ready.tryComplete();
                read();
              })
          .onFailure(
              e -> {
                release();
                if (!ready.future().isComplete()) {
                  log.warn("stream follow failed key={} error=\"{}\"", key, e.toString());
                  followers.remove(key, this);
                  stopped = true;
                  ready.fail(
                      Problem.unavailable("Redis did not answer in time; retry").exception());
                } else {
                  retryLater(e);
                }
              });
    }

    private void read() {
      if (stopped) {
        release();
        return;
      }
      reading = true;
      connection
          .send(
              Request.cmd(Command.XREAD)
                  .arg("COUNT")
                  .arg(COUNT)
                  .arg("BLOCK")
                  .arg(BLOCK_MS)
                  .arg("STREAMS")
                  .arg(key)
                  .arg(position))
          .timeout(BLOCK_MS + options.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .onComplete(
              ar -> {
                reading = false;
                if (ar.failed()) {
                  release();
                  if (!stopped) {
                    retryLater(ar.cause());
                  }
                  return;
                }
                List<Entry> entries = RedisReplies.xread(ar.result(), key);
                if (!entries.isEmpty()) {
                  position = entries.get(entries.size() - 1).id();
                  // A copy: a client may leave (its stream ended) while being handed entries.
                  List<SseClient> targets = new ArrayList<>(clients);
                  for (Entry entry : entries) {
                    for (SseClient client : targets) {
                      client.live(entry);
                    }
                  }
                }
                read();
              });
    }

    private void retryLater(Throwable e) {
      log.warn("stream follow interrupted key={} error=\"{}\"; reconnecting", key, e.toString());
      vertx.setTimer(
          1_000,
          t -> {
            if (!stopped) {
              connect();
            }
          });
    }

    // Gives the connection back only when no XREAD is pending on it, so the next user of the
    // pooled connection never receives this reader's late reply.
    private void release() {
      if (connection != null && !reading) {
        RedisConnection c = connection;
        connection = null;
        c.close();
      }
    }

    void stop() {
      stopped = true;
      release();
    }
  }
}
