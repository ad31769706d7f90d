package dev.slipway.builder;

import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.LogStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numbers one build's output lines (contiguous from {@code firstSeq}) and publishes them in order
 * as {@link BuildLogBatch}es, one batch in flight at a time so order survives retries. A line that
 * arrives while nothing is in flight leaves at once (the producer does not linger either); lines
 * that arrive while a batch is in flight gather into the next one, up to {@value #MAX_LINES} lines
 * and {@value #MAX_BATCH_BYTES} bytes as JSON at most. So a quiet build's lines go out one by one
 * with the least delay, and a chatty build's lines go out in large batches at the rate Kafka
 * acknowledges them, each well under Kafka's 1 MiB record limit even when every line is as long as
 * a line can be ({@link LineSplitter#MAX_LINE}).
 *
 * <p>Lines come from any thread; publishing happens on the Vert.x context given. A build that
 * writes faster than Kafka takes its lines waits in {@link #line} (only on threads that may block)
 * once {@value #HIGH_WATER} lines or {@value #HIGH_WATER_CHARS} characters are waiting, instead of
 * growing memory without bound.
 *
 * <p>Before publishing seq numbers beyond what its claim has reserved, the batcher reserves a block
 * ahead in the claim, so a builder that takes the build over continues after every seq this one may
 * have used.
 */
final class LogBatcher implements LogSink {

  private static final Logger log = LoggerFactory.getLogger(LogBatcher.class);

  static final int MAX_LINES = 1000;

  /**
   * A batch's size as JSON at most, by {@link #jsonBound}: half of what a Kafka producer and broker
   * accept by default (1 MiB), leaving room for the event's envelope and headers.
   */
  static final int MAX_BATCH_BYTES = 512 * 1024;

  static final long RESERVE_AHEAD = 20_000;
  private static final int HIGH_WATER = 20_000;
  private static final long HIGH_WATER_CHARS = 4L * 1024 * 1024;

  /** The claim was taken over: this builder must stop publishing. */
  static final class ClaimLost extends RuntimeException {
    ClaimLost() {
      super("the build's claim was taken over by another builder", null, false, false);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final String buildId;
  private final Function<BuildLogBatch, Future<?>> publish;
  private final LongFunction<Future<Boolean>> reserve;
  private final Redactor redactor;

  // Guarded by this: filled by any thread, emptied on the context.
  private final ArrayDeque<LogLine> pending = new ArrayDeque<>();
  private long pendingChars;
  private long nextSeq;
  private boolean wakePending;
  private boolean closed;

  // Context only.
  private boolean inFlight;
  private long reservedUpTo;
  private long acked;
  private long retryDelay = 250;
  private Promise<Long> drained;
  private Throwable failure;

  /**
   * @param publish sends one batch; its Future succeeds once Kafka has it
   * @param reserve records in the claim that seq numbers up to the argument may be used; its Future
   *     is false when the claim is no longer this builder's
   * @param reservedUpTo what the claim has reserved already
   */
  LogBatcher(
      Vertx vertx,
      Context context,
      String buildId,
      long firstSeq,
      long reservedUpTo,
      Function<BuildLogBatch, Future<?>> publish,
      LongFunction<Future<Boolean>> reserve,
      Redactor redactor) {
    this.vertx = vertx;
    this.context = context;
    this.buildId = buildId;
    this.nextSeq = firstSeq;
    this.acked = firstSeq - 1;
    this.reservedUpTo = reservedUpTo;
    this.publish = publish;
    this.reserve = reserve;
    this.redactor = redactor;
  }

  @Override
  public void line(LogStream stream, String text) {
    String safe = redactor.apply(text);
    boolean wake;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (!Context.isOnEventLoopThread()) {
        while ((pending.size() >= HIGH_WATER || pendingChars >= HIGH_WATER_CHARS) && !closed) {
          try {
            wait(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
      pending.add(new LogLine(nextSeq++, Instant.now(), stream, safe));
      pendingChars += safe.length();
      wake = !wakePending;
      wakePending = true;
    }
    if (wake) {
      context.runOnContext(v -> wake());
    }
  }

  /** The seq of the last line handed in so far (0 or {@code firstSeq - 1} when none). */
  synchronized long lastSeq() {
    return nextSeq - 1;
  }

  /**
   * Publishes everything handed in so far and completes with the last seq once Kafka has acked
   * every batch; lines handed in later are still published.
   */
  Future<Long> drain() {
    Promise<Long> promise = Promise.promise();
    context.runOnContext(
        v -> {
          if (failure != null) {
            promise.fail(failure);
            return;
          }
          if (drained != null) {
            drained.future().onComplete(promise);
            return;
          }
          drained = promise;
          pump();
        });
    return promise.future();
  }

  /** Drops whatever is not published yet; used when the build is abandoned without a verdict. */
  void close() {
    synchronized (this) {
      closed = true;
      pending.clear();
      pendingChars = 0;
      notifyAll();
    }
    context.runOnContext(v -> fail(new IllegalStateException("log batcher closed")));
  }

  private void wake() {
    int size;
    synchronized (this) {
      wakePending = false;
      size = pending.size();
    }
    if (inFlight || failure != null || size == 0) {
      return;
    }
    pump();
  }

  private void pump() {
    if (inFlight || failure != null) {
      return;
    }
    List<LogLine> batch = new ArrayList<>(MAX_LINES);
    synchronized (this) {
      long bytes = 0;
      while (batch.size() < MAX_LINES && !pending.isEmpty()) {
        bytes += jsonBound(pending.peek());
        if (bytes > MAX_BATCH_BYTES && !batch.isEmpty()) {
          break;
        }
        LogLine line = pending.poll();
        pendingChars -= line.text().length();
        batch.add(line);
      }
      notifyAll();
    }
    if (batch.isEmpty()) {
      if (drained != null) {
        Promise<Long> done = drained;
        drained = null;
        done.complete(acked);
      }
      return;
    }
    inFlight = true;
    long last = batch.getLast().seq();
    Future<Boolean> reserved;
    if (last > reservedUpTo) {
      long upTo = last + RESERVE_AHEAD;
      reserved =
          reserve
              .apply(upTo)
              .map(
                  ok -> {
                    if (ok) {
                      reservedUpTo = upTo;
                    }
                    return ok;
                  });
    } else {
      reserved = Future.succeededFuture(true);
    }
    reserved
        .compose(
            ok ->
                ok
                    ? publish.apply(new BuildLogBatch(buildId, batch)).mapEmpty()
                    : Future.failedFuture(new ClaimLost()))
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                inFlight = false;
                acked = last;
                retryDelay = 250;
                pump();
              } else if (ar.cause() instanceof ClaimLost) {
                inFlight = false;
                fail(ar.cause());
              } else {
                log.warn(
                    "log batch not published, retrying buildId={} firstSeq={} retryInMs={}"
                        + " error={}",
                    buildId,
                    batch.getFirst().seq(),
                    retryDelay,
                    String.valueOf(ar.cause()));
                synchronized (this) {
                  if (closed) {
                    inFlight = false;
                    return;
                  }
                  for (int i = batch.size() - 1; i >= 0; i--) {
                    pending.addFirst(batch.get(i));
                    pendingChars += batch.get(i).text().length();
                  }
                }
                long delay = retryDelay;
                retryDelay = Math.min(retryDelay * 2, 10_000);
                // Still "in flight" until the retry: new lines must not jump the backoff.
                vertx.setTimer(
                    delay,
                    t -> {
                      inFlight = false;
                      pump();
                    });
              }
            });
  }

  /**
   * The most bytes {@code line} can take in a batch's JSON: its seq, time and stream fields (under
   * 128 bytes), and six bytes per character of text, since a control character such as a terminal
   * colour's ESC is written as a six-character escape and nothing takes more.
   */
  static int jsonBound(LogLine line) {
    return 128 + 6 * line.text().length();
  }

  private void fail(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    if (drained != null) {
      Promise<Long> done = drained;
      drained = null;
      done.tryFail(cause);
    }
  }
}
