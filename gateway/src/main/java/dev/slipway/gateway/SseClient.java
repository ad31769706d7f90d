package dev.slipway.gateway;

import dev.slipway.infra.redis.RedisReplies;
import dev.slipway.infra.redis.RedisReplies.Entry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSE client of a Redis stream ({@link SseSource}: a build's log, the change feed): whatever
 * the source sends first, then the stream replayed from Redis, then live entries from the stream's
 * shared reader ({@link StreamHub}).
 *
 * <p>No gap, no duplicate: the client joins the reader before anything else, buffers live entries
 * while the source begins and the replay runs, and sends each entry only if its id is after the
 * last one seen. Should the buffer overflow, it is dropped and the replay reads once more: the
 * dropped entries are in Redis by then.
 *
 * <p>Backpressure: when the response's write queue is full the client stops taking live entries
 * (the reader never waits for it). If the queue drains within {@link
 * GatewayOptions#slowClientTimeout()} it catches up from Redis where it left off; otherwise it is
 * disconnected and may resume with {@code Last-Event-ID}.
 */
final class SseClient {

  private final StringBuilder unwritten = new StringBuilder();
  private boolean flushScheduled;
  private static final Logger log = LoggerFactory.getLogger(SseClient.class);
  private static final int PAGE = 200;
  private static final int MAX_PENDING = 1_000;

  /** The id before every entry; never sent as an event id. */
  static final String BEFORE_ALL = "0-0";

  private enum State {
    JOINING,
    BEGINNING,
    REPLAYING,
    LIVE,
    PAUSED,
    DONE
  }

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final SseSource source;
  private final StreamHub hub;
  private final RedisStore redis;
  private final GatewayOptions options;
  private final ArrayDeque<Entry> pending = new ArrayDeque<>();
  private final String lastEventId;
  private State state = State.JOINING;
  // The position in the stream: the id of the last entry sent or skipped.
  private String lastSent;
  // The last id the client was told, so a heartbeat can move a filtered client's resume point.
  private String lastWrittenId;
  private int overflows;
  private long heartbeatTimer = -1;
  private long slowTimer = -1;
  private boolean joined;

  SseClient(
      Vertx vertx,
      RoutingContext ctx,
      SseSource source,
      String lastEventId,
      StreamHub hub,
      RedisStore redis,
      GatewayOptions options) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.response = ctx.response();
    this.source = source;
    this.lastEventId = lastEventId;
    this.lastWrittenId = lastEventId;
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
    hub.join(source.key(), this)
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
              append(": " + source.label() + "\n\n");
              heartbeatTimer = vertx.setPeriodic(options.heartbeat().toMillis(), t -> heartbeat());
              begin();
            })
        .onFailure(
            e -> {
              finish();
              if (e instanceof Problem.ProblemException p) {
                p.problem().send(response);
              } else {
                Problem.unavailable("the stream cannot be followed now; retry").send(response);
              }
            });
  }

  private void begin() {
    state = State.BEGINNING;
    source
        .begin(this, lastEventId)
        .onComplete(
            ar -> {
              if (state != State.BEGINNING) {
                return;
              }
              if (ar.failed()) {
                log.warn(
                    "sse stream could not begin {} error=\"{}\"",
                    source.label(),
                    ar.cause().toString());
                disconnect();
                return;
              }
              lastSent = ar.result();
              replay();
            });
  }

  private void heartbeat() {
    if (state == State.DONE || response.writeQueueFull()) {
      return;
    }
    // An id-only block moves the client's Last-Event-ID past entries its filter skipped, so a
    // reconnect does not replay them (and does not find its id trimmed away) without need.
    if (state == State.LIVE
        && lastSent != null
        && !lastSent.equals(BEFORE_ALL)
        && !lastSent.equals(lastWrittenId)) {
      lastWrittenId = lastSent;
      append(": heartbeat\nid: " + lastSent + "\n\n");
    } else {
      append(": heartbeat\n\n");
    }
  }

  /** An entry from the stream's reader. */
  void live(Entry entry) {
    switch (state) {
      case JOINING, BEGINNING, REPLAYING -> {
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

  // ------------------------------------------------------------ for sources

  /** Whether the client is still connected. */
  boolean open() {
    return state != State.DONE;
  }

  /** Writes one event; {@code id} may be null (the client's Last-Event-ID stays as it was). */
  void event(String id, String name, JsonObject data) {
    String json = data.encode();
    event(id, name, json, 0, json.length());
  }

  /**
   * Writes one event whose data is {@code text} from {@code start} to {@code end}: JSON already
   * encoded, on one line.
   */
  void event(String id, String name, String text, int start, int end) {
    if (state == State.DONE) {
      return;
    }
    if (id != null) {
      unwritten.append("id: ").append(id).append('\n');
      lastWrittenId = id;
    }
    unwritten.append("event: ").append(name).append("\ndata: ").append(text, start, end);
    append("\n\n");
  }

  /**
   * Queues a frame; every frame queued in one event-loop turn leaves in one write. A reader hands
   * over hundreds of entries at once, and one write (one chunk, one flush) per entry would make the
   * socket, not Redis, the bottleneck of a chatty build's log.
   */
  private void append(String frame) {
    unwritten.append(frame);
    if (!flushScheduled) {
      flushScheduled = true;
      vertx.runOnContext(v -> flush());
    }
  }

  private void flush() {
    flushScheduled = false;
    if (unwritten.isEmpty()) {
      return;
    }
    String frames = unwritten.toString();
    unwritten.setLength(0);
    if (!response.ended() && !response.closed()) {
      response.write(frames);
      // The checks after each send ran before this write: judge the queue again now.
      if (state == State.LIVE && response.writeQueueFull()) {
        pause();
      }
    }
  }

  /**
   * Completes when the client can take more: at once, or when its write queue drains. Fails, and
   * disconnects the client, when it does not drain within the slow-client timeout.
   */
  Future<Void> writable() {
    if (state == State.DONE) {
      return Future.failedFuture("client gone");
    }
    if (!response.writeQueueFull()) {
      return Future.succeededFuture();
    }
    Promise<Void> drained = Promise.promise();
    long timer =
        vertx.setTimer(
            options.slowClientTimeout().toMillis(),
            t -> {
              if (drained.tryFail("client too slow")) {
                tooSlow();
              }
            });
    response.drainHandler(
        v -> {
          vertx.cancelTimer(timer);
          drained.tryComplete();
        });
    return drained.future();
  }

  // ------------------------------------------------------------ replay and live

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
        .send(
            Request.cmd(Command.XRANGE)
                .arg(source.key())
                .arg(start)
                .arg("+")
                .arg("COUNT")
                .arg(PAGE))
        .onFailure(
            e -> {
              log.warn("sse replay failed {} error=\"{}\"", source.label(), e.toString());
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
    slowTimer =
        vertx.setTimer(
            options.slowClientTimeout().toMillis(),
            t -> {
              if (state == State.PAUSED) {
                tooSlow();
              }
            });
    response.drainHandler(
        v -> {
          if (state == State.PAUSED) {
            vertx.cancelTimer(slowTimer);
            replay();
          }
        });
  }

  private void tooSlow() {
    if (state == State.DONE) {
      return;
    }
    log.info(
        "sse client too slow, disconnected {} lastEventId={} waitedMs={}",
        source.label(),
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
    if (source.send(entry, this)) {
      finish();
      flush();
      response.end();
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
      hub.leave(source.key(), this);
      hub.release();
    }
  }
}
