package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.LogStream;
import dev.slipway.infra.json.Json;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Log batching")
class LogBatcherTest {

  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();
  private final List<BuildLogBatch> published = new CopyOnWriteArrayList<>();
  private final List<Long> reservations = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private LogBatcher batcher(
      long firstSeq,
      Function<BuildLogBatch, Future<?>> publish,
      LongFunction<Future<Boolean>> reserve) {
    return new LogBatcher(
        vertx, context, "b-1", firstSeq, firstSeq - 1, publish, reserve, new Redactor());
  }

  private Future<?> accept(BuildLogBatch batch) {
    published.add(batch);
    return Future.succeededFuture();
  }

  private Future<Boolean> reserve(long upTo) {
    reservations.add(upTo);
    return Future.succeededFuture(true);
  }

  @Test
  @DisplayName(
      "lines from several threads go out in batches of at most MAX_LINES, seqs contiguous from 1, and"
          + " drain completes with the last seq once all are acked")
  void batches() throws Exception {
    LogBatcher logs = batcher(1, this::accept, this::reserve);
    Thread[] writers = new Thread[3];
    for (int t = 0; t < writers.length; t++) {
      int n = t;
      writers[t] =
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = 0; i < 500; i++) {
                      logs.line(LogStream.STDOUT, "writer " + n + " line " + i);
                    }
                  });
    }
    for (Thread writer : writers) {
      writer.join();
    }

    long last = logs.drain().await(10, TimeUnit.SECONDS);

    assertThat(last).isEqualTo(1500);
    assertThat(published)
        .allSatisfy(b -> assertThat(b.lines()).hasSizeLessThanOrEqualTo(LogBatcher.MAX_LINES));
    assertThat(published.stream().flatMap(b -> b.lines().stream()).map(LogLine::seq))
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 1500).boxed().toList());
    assertThat(reservations).isNotEmpty().allSatisfy(r -> assertThat(r).isGreaterThan(0));
  }

  @Test
  @DisplayName(
      "a burst of the longest lines goes out in batches within MAX_BATCH_BYTES as JSON, also when"
          + " every character is escaped")
  void longLines() throws Exception {
    LogBatcher logs = batcher(1, this::accept, this::reserve);
    String escaped = "\u001b".repeat(LineSplitter.MAX_LINE);
    String plain = "x".repeat(LineSplitter.MAX_LINE);
    // Handed in during one turn of the context, so all 300 wait for the same first batch.
    context.runOnContext(
        v -> {
          for (int i = 0; i < 300; i++) {
            logs.line(LogStream.STDOUT, i % 2 == 0 ? escaped : plain);
          }
        });

    assertThat(logs.drain().await(10, TimeUnit.SECONDS)).isEqualTo(300);
    assertThat(published)
        .hasSizeGreaterThan(20)
        .allSatisfy(
            b ->
                assertThat(Json.toBytes(b).length).isLessThanOrEqualTo(LogBatcher.MAX_BATCH_BYTES));
    assertThat(published.stream().flatMap(b -> b.lines().stream()).map(LogLine::seq))
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 300).boxed().toList());
  }

  @Test
  @DisplayName("a batch that fails to publish is retried, and nothing overtakes it")
  void retriesInOrder() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    LogBatcher logs =
        batcher(
            1,
            batch ->
                calls.incrementAndGet() == 1
                    ? Future.failedFuture(new IllegalStateException("broker away"))
                    : accept(batch),
            this::reserve);
    logs.line(LogStream.STDOUT, "first");
    logs.line(LogStream.STDERR, "second");

    assertThat(logs.drain().await(10, TimeUnit.SECONDS)).isEqualTo(2);
    assertThat(published.stream().flatMap(b -> b.lines().stream()).map(LogLine::text))
        .containsExactly("first", "second");
  }

  @Test
  @DisplayName("a takeover continues after the reserved seqs, and a lost claim stops publishing")
  void reservationsAndLoss() throws Exception {
    LogBatcher logs = batcher(1001, this::accept, upTo -> Future.succeededFuture(false));
    logs.system("builder a stopped responding; retrying (attempt 2)");

    assertThatThrownBy(() -> logs.drain().await(10, TimeUnit.SECONDS))
        .isInstanceOf(LogBatcher.ClaimLost.class);
    assertThat(published).isEmpty();

    LogBatcher next = batcher(1001, this::accept, this::reserve);
    next.system("hello");
    assertThat(next.drain().await(10, TimeUnit.SECONDS)).isEqualTo(1001);
    assertThat(published.getFirst().firstSeq()).isEqualTo(1001);
    assertThat(reservations).containsExactly(1001 + LogBatcher.RESERVE_AHEAD);
  }
}
