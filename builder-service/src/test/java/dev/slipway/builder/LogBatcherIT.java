package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.LogStream;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.testing.KafkaBroker;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Log batching on the real Kafka broker")
class LogBatcherIT {

  @Test
  @DisplayName(
      "a burst of the longest lines (escaped, multi-byte, plain) reaches the log topic whole and in"
          + " order: no batch is over Kafka's record limit")
  void longestLinesArePublished() throws Exception {
    TopicSet topics = BuilderHarness.topics("test-batcher-" + UUID.randomUUID() + ".");
    Vertx vertx = Vertx.vertx();
    EventPublisher publisher =
        new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/test/builder", "batcher-it");
    String buildId = "b-" + UUID.randomUUID();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String fill = List.of("\u001b", "é", "€", "x").get(i % 4);
      String prefix = i + " ";
      texts.add(prefix + fill.repeat(LineSplitter.MAX_LINE - prefix.length()));
    }
    try (TopicReader reader = new TopicReader(topics)) {
      Context context = vertx.getOrCreateContext();
      LogBatcher logs =
          new LogBatcher(
              vertx,
              context,
              buildId,
              1,
              0,
              batch -> publisher.publish(topics.buildLogs(), buildId, batch),
              upTo -> Future.succeededFuture(true),
              new Redactor());
      // Handed in during one turn of the context: all of them wait for the first batch, over 7 MB
      // as JSON (escapes take 6 bytes, é 2, € 3), seven times what Kafka takes in one record.
      context.runOnContext(v -> texts.forEach(text -> logs.line(LogStream.STDOUT, text)));

      assertThat(logs.drain().await(30, TimeUnit.SECONDS)).isEqualTo(texts.size());
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(reader.lines(buildId)).hasSize(texts.size()));
      assertThat(reader.lines(buildId).stream().map(LogLine::seq))
          .containsExactlyElementsOf(LongStream.rangeClosed(1, texts.size()).boxed().toList());
      assertThat(reader.texts(buildId)).containsExactlyElementsOf(texts);
    } finally {
      publisher.close();
      vertx.close().await(20, TimeUnit.SECONDS);
    }
  }
}
