package dev.slipway.gateway;

import dev.slipway.gateway.RedisReplies.Entry;
import dev.slipway.infra.redis.BuildHash;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSE client of a build's log: replays the stream from Redis, then takes live entries from the
 * build's shared reader ({@link LogHub}), and ends after the {@code status} entry.
 *
 * <p>No gap, no duplicate: the client joins the reader before it replays, buffers live entries
 * while replaying, and sends each entry only if its id is after the last one sent. Should the
 * buffer overflow, it is dropped and the replay reads once more: the dropped entries are in Redis
 * by then.
 *
 * <p>Backpressure: when the response's write queue is full the client stops taking live entries
 * (the reader never waits for it). If the queue drains within {@link
 * GatewayOptions#slowClientTimeout()} it catches up from Redis where it left off; otherwise it is
 * disconnected and may resume with {@code Last-Event-ID}.
 */
final class SseClient {

  private static final Logger log = LoggerFactory.getLogger(SseClient.class);
  private static final int PAGE = 200;
  private static final int MAX_PENDING = 1_000;

  private enum State {
    JOINING,
    REPLAYING,
    LIVE,
    PAUSED,
    DONE
  }

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final String buildId;
  private final String key;
  private final LogHub hub;
  private final RedisStore redis;
  private final GatewayOptions options;
  private final ArrayDeque<Entry> pending = new ArrayDeque<>();
  private State state = State.JOINING;
  private String lastSent;
  private int overflows;
  private long heartbeatTimer = -1;
  private long slowTimer = -1;
  private boolean joined;

  SseClient(
      Vertx vertx,
      RoutingContext ctx,
      String buildId,
      String key,
      String lastEventId,
      LogHub hub,
      RedisStore redis,
      GatewayOptions options) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.response = ctx.response();
    this.buildId = buildId;
    this.key = key;
    this.lastSent = lastEventId;
    this.hub = hub;
    this.redis = redis;
    this.options = options;
  }

  void start() {
    if (!hub.admit()) {
      state = State.DONE;
      Problem.unavailable("too many event streams are open; retry shortly").send(response);
      return;
    }
    joined = true;
    response.closeHandler(v -> finish());
    response.exceptionHandler(e -> finish());
    hub.join(buildId, this)
        .onSuccess(
            v -> {
              if (state == State.DONE) {
                return;
              }
              response
                  .setStatusCode(200)
                  .setChunked(true)
                  .putHeader("content-type", "text/event-stream; charset=utf-8")
                  .putHeader("cache-control", "no-cache")
                  .putHeader("x-accel-buffering", "no");
              // A first comment sends the headers now, so the client knows the stream is open.
              response.write(": build " + buildId + "\n\n");
              heartbeatTimer =
                  vertx.setPeriodic(
                      options.heartbeat().toMillis(),
                      t -> {
                        if (state != State.DONE && !response.writeQueueFull()) {
                          response.write(": heartbeat\n\n");
                        }
                      });
              replay();
            })
        .onFailure(
            e -> {
              finish();
              if (e instanceof Problem.ProblemException p) {
                p.problem().send(response);
              } else {
                Problem.unavailable("the log cannot be followed now; retry").send(response);
              }
            });
  }

  /** An entry from the build's reader. */
  void live(Entry entry) {
    switch (state) {
      case JOINING, REPLAYING -> {
        if (pending.size() >= MAX_PENDING) {
          pending.clear();
          overflows++;
        } else {
          pending.add(entry);
        }
      }
      case LIVE -> {
        if (isNew(entry)) {
          send(entry);
          if (state == State.LIVE && response.writeQueueFull()) {
            pause();
          }
        }
      }
      case PAUSED, DONE -> {
        // Paused: the catch-up from Redis will read it. Done: nothing more to send.
      }
    }
  }

  private void replay() {
    state = State.REPLAYING;
    pending.clear();
    readPage();
  }

  private void readPage() {
    if (state != State.REPLAYING) {
      return;
    }
    int overflowsAtRequest = overflows;
    String start = lastSent == null ? "-" : StreamIds.next(lastSent);
    redis
        .send(Request.cmd(Command.XRANGE).arg(key).arg(start).arg("+").arg("COUNT").arg(PAGE))
        .onFailure(
            e -> {
              log.warn("log replay failed buildId={} error=\"{}\"", buildId, e.toString());
              disconnect();
            })
        .onSuccess(
            reply -> {
              if (state != State.REPLAYING) {
                return;
              }
              List<Entry> entries = RedisReplies.entries(reply);
              for (Entry entry : entries) {
                if (isNew(entry)) {
                  send(entry);
                  if (state == State.DONE) {
                    return;
                  }
                }
              }
              if (response.writeQueueFull()) {
                pause();
              } else if (entries.size() == PAGE || overflowsAtRequest != overflows) {
                readPage();
              } else {
                goLive();
              }
            });
  }

  private void goLive() {
    state = State.LIVE;
    while (!pending.isEmpty() && state == State.LIVE) {
      Entry entry = pending.poll();
      if (isNew(entry)) {
        send(entry);
      }
    }
    pending.clear();
    if (state == State.LIVE && response.writeQueueFull()) {
      pause();
    }
  }

  private void pause() {
    state = State.PAUSED;
    pending.clear();
    slowTimer = vertx.setTimer(options.slowClientTimeout().toMillis(), t -> tooSlow());
    response.drainHandler(
        v -> {
          if (state == State.PAUSED) {
            vertx.cancelTimer(slowTimer);
            replay();
          }
        });
  }

  private void tooSlow() {
    if (state != State.PAUSED) {
      return;
    }
    log.info(
        "sse client too slow, disconnected buildId={} lastEventId={} waitedMs={}",
        buildId,
        lastSent,
        options.slowClientTimeout().toMillis());
    disconnect();
  }

  private void disconnect() {
    finish();
    ctx.request().connection().close();
  }

  private boolean isNew(Entry entry) {
    return lastSent == null || StreamIds.compare(entry.id(), lastSent) > 0;
  }

  private void send(Entry entry) {
    lastSent = entry.id();
    Map<String, String> f = entry.fields();
    String type = f.getOrDefault(BuildHash.Log.TYPE, "");
    JsonObject data = new JsonObject();
    switch (type) {
      case "log" -> {
        String seq = f.get(BuildHash.Log.SEQ);
        if (seq != null && seq.matches("[0-9]{1,18}")) {
          data.put("seq", Long.parseLong(seq));
        }
        put(data, "time", f.get(BuildHash.Log.TIME));
        put(data, "stream", f.get(BuildHash.Log.STREAM));
        data.put("text", f.getOrDefault(BuildHash.Log.TEXT, ""));
      }
      case "phase" -> {
        put(data, "phase", f.get(BuildHash.Log.PHASE));
        put(data, "time", f.get(BuildHash.Log.TIME));
      }
      case "status" -> {
        put(data, "status", f.get(BuildHash.Log.STATUS));
        put(data, "reason", f.get(BuildHash.Log.REASON));
        put(data, "message", f.get(BuildHash.Log.MESSAGE));
        put(data, "time", f.get(BuildHash.Log.TIME));
      }
      default -> {
        // An entry type this gateway does not know: skipped, but its id still counts as seen.
        return;
      }
    }
    response.write("id: " + entry.id() + "\nevent: " + type + "\ndata: " + data.encode() + "\n\n");
    if (type.equals("status")) {
      finish();
      response.end();
    }
  }

  private static void put(JsonObject json, String field, String value) {
    if (value != null && !value.isEmpty()) {
      json.put(field, value);
    }
  }

  private void finish() {
    if (state == State.DONE && !joined) {
      return;
    }
    state = State.DONE;
    pending.clear();
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
      heartbeatTimer = -1;
    }
    if (slowTimer >= 0) {
      vertx.cancelTimer(slowTimer);
      slowTimer = -1;
    }
    if (joined) {
      joined = false;
      hub.leave(buildId, this);
      hub.release();
    }
  }
}
