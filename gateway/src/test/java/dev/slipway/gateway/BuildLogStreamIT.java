package dev.slipway.gateway;

import static dev.slipway.gateway.GatewayFixture.DEADLINE;
import static dev.slipway.gateway.GatewayFixture.READ_TOKEN;
import static dev.slipway.gateway.GatewayFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.slipway.gateway.SseReader.Event;
import dev.slipway.infra.redis.BuildHash;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * The reconciler writes build log streams in production; here the tests write the entries into
 * Redis themselves, as BuildHash.Log describes them: {@code type=log} (first, last, lines: each
 * line the JSON of its event), {@code type=phase} (phase, time), {@code type=status} (status,
 * reason, message, time).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Build logs over SSE from the real Redis")
class BuildLogStreamIT {

  private static final Duration SLOW_CLIENT_TIMEOUT = Duration.ofSeconds(1);

  private GatewayFixture gw;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  void start() throws Exception {
    logs.start();
    ((Logger) LoggerFactory.getLogger(SseClient.class)).addAppender(logs);
    gw =
        new GatewayFixture(
            GatewayOptions.defaults()
                .withHeartbeat(Duration.ofMillis(300))
                .withSlowClientTimeout(SLOW_CLIENT_TIMEOUT));
  }

  @AfterAll
  void stop() throws Exception {
    gw.close();
    ((Logger) LoggerFactory.getLogger(SseClient.class)).detachAppender(logs);
  }

  // ------------------------------------------------------------------ writing the log stream

  private static String newBuild() {
    return "b-sse-" + UUID.randomUUID().toString().substring(0, 12);
  }

  /** One log entry holding one line; answers the line's event id. */
  private String log(String build, long seq, String text) throws Exception {
    return lines(build, seq, List.of(text)).getFirst();
  }

  /** One log entry holding the lines, seqs from {@code firstSeq}; answers their event ids. */
  private List<String> lines(String build, long firstSeq, List<String> texts) throws Exception {
    String entry = gw.redis(logEntry(build, firstSeq, texts)).toString();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      ids.add(entry + "." + i);
    }
    return ids;
  }

  /** A log entry as the reconciler writes it: each line the JSON of its event, one per line. */
  private Request logEntry(String build, long firstSeq, List<String> texts) {
    StringBuilder json = new StringBuilder();
    for (int i = 0; i < texts.size(); i++) {
      if (i > 0) {
        json.append('\n');
      }
      json.append(
          new JsonObject()
              .put("seq", firstSeq + i)
              .put("time", Instant.now().toString())
              .put("stream", "stdout")
              .put("text", texts.get(i))
              .encode());
    }
    return Request.cmd(Command.XADD)
        .arg(gw.keys.buildLog(build))
        .arg("*")
        .arg(BuildHash.Log.TYPE)
        .arg("log")
        .arg(BuildHash.Log.FIRST)
        .arg(firstSeq)
        .arg(BuildHash.Log.LAST)
        .arg(firstSeq + texts.size() - 1)
        .arg(BuildHash.Log.LINES)
        .arg(json.toString());
  }

  private String phase(String build, String phase) throws Exception {
    return xadd(build, "phase", BuildHash.Log.PHASE, phase);
  }

  private String status(String build, String status) throws Exception {
    return xadd(
        build,
        "status",
        BuildHash.Log.STATUS,
        status,
        BuildHash.Log.REASON,
        status.equals("failed") ? "build_failed" : "",
        BuildHash.Log.MESSAGE,
        status.equals("failed") ? "step 2 returned 1" : "");
  }

  private String xadd(String build, String type, String... fields) throws Exception {
    return gw.redis(entry(build, type, fields)).toString();
  }

  private Request entry(String build, String type, String... fields) {
    Request xadd =
        Request.cmd(Command.XADD)
            .arg(gw.keys.buildLog(build))
            .arg("*")
            .arg(BuildHash.Log.TYPE)
            .arg(type)
            .arg(BuildHash.Log.TIME)
            .arg(Instant.now().toString());
    for (String f : fields) {
      xadd.arg(f);
    }
    return xadd;
  }

  /** Lines {@code fromSeq..toSeq} in entries of {@code perEntry} lines, as batches arrive. */
  private void logs(String build, int fromSeq, int toSeq, int perEntry, String pad)
      throws Exception {
    List<Request> batch = new ArrayList<>();
    for (int first = fromSeq; first <= toSeq; first += perEntry) {
      List<String> texts = new ArrayList<>();
      for (int seq = first; seq <= Math.min(toSeq, first + perEntry - 1); seq++) {
        texts.add("line " + seq + pad);
      }
      batch.add(logEntry(build, first, texts));
      if (batch.size() == 20) {
        gw.redis.batch(batch).await(20, TimeUnit.SECONDS);
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) {
      gw.redis.batch(batch).await(20, TimeUnit.SECONDS);
    }
  }

  // ------------------------------------------------------------------ reading SSE

  // ------------------------------------------------------------------ tests

  @Test
  @DisplayName(
      "a client gets the log so far, then lines as they are written, in order, with"
          + " heartbeats while idle; the stream ends after the status event")
  void replayThenFollow() throws Exception {
    String build = newBuild();
    List<String> ids = new ArrayList<>();
    ids.add(phase(build, "clone"));
    ids.add(log(build, 1, "Cloning into 'app'..."));
    ids.add(log(build, 2, "HEAD is now at 3f2a1b"));

    try (SseReader sse = new SseReader(gw, "/api/v1/builds/" + build + "/logs", READ_TOKEN)) {
      assertThat(sse.status).isEqualTo(200);
      assertThat(sse.headers.firstValue("content-type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
      List<Event> replayed = sse.awaitEvents(3);
      assertThat(replayed).extracting(Event::id).containsExactlyElementsOf(ids);
      assertThat(replayed).extracting(Event::name).containsExactly("phase", "log", "log");
      assertThat(replayed.get(0).data().getString("phase")).isEqualTo("clone");
      JsonObject first = replayed.get(1).data();
      assertThat(first.getLong("seq")).isEqualTo(1L);
      assertThat(first.getString("stream")).isEqualTo("stdout");
      assertThat(first.getString("text")).isEqualTo("Cloning into 'app'...");
      assertThat(first.getString("time")).isNotBlank();

      await().atMost(DEADLINE).until(() -> sse.comments.get() >= 2);

      ids.add(log(build, 3, "Step 1/2 : FROM scratch"));
      ids.add(phase(build, "build"));
      ids.add(log(build, 4, "Step 2/2 : COPY . /"));
      List<Event> live = sse.awaitEvents(6);
      assertThat(live).extracting(Event::id).containsExactlyElementsOf(ids);
      assertThat(live.get(4).data().getString("phase")).isEqualTo("build");
      assertThat(sse.ended).isFalse();

      ids.add(status(build, "failed"));
      sse.awaitEnd();
      List<Event> all = List.copyOf(sse.events);
      assertThat(all).extracting(Event::id).containsExactlyElementsOf(ids);
      Event last = all.get(all.size() - 1);
      assertThat(last.name()).isEqualTo("status");
      assertThat(last.data().getString("status")).isEqualTo("failed");
      assertThat(last.data().getString("reason")).isEqualTo("build_failed");
      assertThat(last.data().getString("message")).isEqualTo("step 2 returned 1");
    }
  }

  @Test
  @DisplayName(
      "Last-Event-ID (header or query) resumes right after that event, also in the middle of an"
          + " entry's lines; a finished build replays and ends")
  void resumeAndFinished() throws Exception {
    String build = newBuild();
    // Five lines in one entry: resuming after the second continues inside the entry.
    List<String> ids =
        new ArrayList<>(lines(build, 1, List.of("line 1", "line 2", "line 3", "line 4", "line 5")));
    ids.add(status(build, "succeeded"));

    try (SseReader all = new SseReader(gw, "/api/v1/builds/" + build + "/logs", READ_TOKEN)) {
      all.awaitEnd();
      assertThat(all.events).extracting(Event::id).containsExactlyElementsOf(ids);
    }
    try (SseReader resumed =
        new SseReader(
            gw, "/api/v1/builds/" + build + "/logs", READ_TOKEN, "Last-Event-ID", ids.get(1))) {
      resumed.awaitEnd();
      assertThat(resumed.events).extracting(Event::id).containsExactlyElementsOf(ids.subList(2, 6));
      assertThat(resumed.events.get(0).data().getLong("seq")).isEqualTo(3L);
    }
    try (SseReader query =
        new SseReader(
            gw, "/api/v1/builds/" + build + "/logs?last_event_id=" + ids.get(3), READ_TOKEN)) {
      query.awaitEnd();
      assertThat(query.events).extracting(Event::id).containsExactlyElementsOf(ids.subList(4, 6));
    }
  }

  @Test
  @DisplayName(
      "a long log written while clients connect arrives complete: no gap, no duplicate,"
          + " also when resuming mid-way")
  void noGapNoDuplicateUnderWrites() throws Exception {
    String build = newBuild();
    logs(build, 1, 450, 50, "");
    AtomicBoolean writing = new AtomicBoolean(true);
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                for (int seq = 451; seq <= 750; seq += 3) {
                  lines(
                      build, seq, List.of("line " + seq, "line " + (seq + 1), "line " + (seq + 2)));
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              } finally {
                writing.set(false);
              }
            });
    try (SseReader early = new SseReader(gw, "/api/v1/builds/" + build + "/logs", READ_TOKEN)) {
      writer.get(60, TimeUnit.SECONDS);
      List<Event> got = early.awaitEvents(750);
      assertThat(got)
          .extracting(e -> e.data().getLong("seq"))
          .containsExactlyElementsOf(
              IntStream.rangeClosed(1, 750).mapToObj(i -> (long) i).toList());
      // Line 121: in the middle of the entry of lines 101-150.
      String resumeAfter = got.get(120).id();
      assertThat(resumeAfter).endsWith(".20");

      try (SseReader resumed =
          new SseReader(
              gw, "/api/v1/builds/" + build + "/logs", READ_TOKEN, "Last-Event-ID", resumeAfter)) {
        List<Event> rest = resumed.awaitEvents(629);
        status(build, "succeeded");
        resumed.awaitEnd();
        early.awaitEnd();
        assertThat(resumed.events).extracting(Event::name).last().isEqualTo("status");
        assertThat(rest.subList(0, 629))
            .extracting(e -> e.data().getLong("seq"))
            .containsExactlyElementsOf(
                IntStream.rangeClosed(122, 750).mapToObj(i -> (long) i).toList());
        assertThat(resumed.events).hasSize(630);
        assertThat(early.events).hasSize(751);
      }
    }
  }

  @Test
  @DisplayName("a client that stops reading is disconnected while another keeps receiving")
  void slowClientDropped() throws Exception {
    String build = newBuild();
    phase(build, "build");
    int lines = 2_000;
    String pad = " " + "x".repeat(4_000);
    logs.list.clear();
    try (SseReader fast = new SseReader(gw, "/api/v1/builds/" + build + "/logs", READ_TOKEN);
        Socket slow = new Socket()) {
      fast.awaitEvents(1);
      slow.setReceiveBufferSize(4096);
      slow.connect(new InetSocketAddress("127.0.0.1", gw.config.httpPort()), 5_000);
      OutputStream out = slow.getOutputStream();
      out.write(
          ("GET /api/v1/builds/"
                  + build
                  + "/logs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Authorization: Bearer "
                  + READ_TOKEN
                  + "\r\nAccept: text/event-stream\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();

      logs(build, 1, lines, 10, pad);

      List<Event> got = fast.awaitEvents(1 + lines);
      assertThat(got.get(lines).data().getLong("seq")).isEqualTo((long) lines);

      await("the slow client is disconnected")
          .atMost(DEADLINE)
          .until(
              () ->
                  logs.list.stream()
                      .anyMatch(
                          e ->
                              e.getFormattedMessage().contains("too slow")
                                  && e.getFormattedMessage().contains(build)));
      // Having been cut off, the slow client's socket reaches its end once drained.
      slow.setSoTimeout((int) DEADLINE.toMillis());
      assertThat(SseReader.drain(slow.getInputStream())).isGreaterThan(0);

      status(build, "succeeded");
      fast.awaitEnd();
      assertThat(fast.events).hasSize(lines + 2);
    }
  }

  @Test
  @DisplayName(
      "the stream takes the token as ?access_token=, 404s an unknown build and names a"
          + " bad Last-Event-ID")
  void streamErrors() throws Exception {
    String build = newBuild();
    log(build, 1, "hello");
    status(build, "succeeded");

    HttpResponse<String> byQuery =
        gw.get("/api/v1/builds/" + build + "/logs?access_token=" + READ_TOKEN, null);
    assertThat(byQuery.statusCode()).isEqualTo(200);
    assertThat(byQuery.body()).contains("event: status");
    assertThat(
            gw.get("/api/v1/builds/" + build + "/logs?access_token=wrong-token-0000000", null)
                .statusCode())
        .isEqualTo(401);
    assertThat(gw.get("/api/v1/builds/" + build + "/logs", null).statusCode()).isEqualTo(401);

    HttpResponse<String> unknown = gw.get("/api/v1/builds/b-nope/logs", READ_TOKEN);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("content-type")).hasValue("application/problem+json");

    HttpResponse<String> badId =
        gw.send(
            gw.request("/api/v1/builds/" + build + "/logs", READ_TOKEN)
                .header("Last-Event-ID", "yesterday")
                .GET()
                .build());
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(json(badId).getString("field")).isEqualTo("Last-Event-ID");
  }

  @Test
  @DisplayName(
      "a finished build whose log went after its retention answers 410 naming the setting, and"
          + " the build itself still answers with when its log went")
  void logGoneAfterRetention() throws Exception {
    String build = newBuild();
    new Projection(gw).build(build, "succeeded", null);
    Instant expired = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
    gw.redis(
        Request.cmd(Command.HSET)
            .arg(gw.keys.build(build))
            .arg(BuildHash.LOG_EXPIRES_AT)
            .arg(expired.toEpochMilli()));

    HttpResponse<String> gone = gw.get("/api/v1/builds/" + build + "/logs", READ_TOKEN);
    assertThat(gone.statusCode()).isEqualTo(410);
    assertThat(gone.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(json(gone).getString("detail"))
        .contains(build, "SLIPWAY_BUILD_LOG_RETENTION", expired.toString());

    HttpResponse<String> summary = gw.get("/api/v1/builds/" + build, READ_TOKEN);
    assertThat(summary.statusCode()).isEqualTo(200);
    assertThat(json(summary).getString("log_expires_at")).isEqualTo(expired.toString());

    // The same build with its log still there (the deadline not reached) streams as usual.
    String kept = newBuild();
    new Projection(gw).build(kept, "succeeded", null);
    gw.redis(
        Request.cmd(Command.HSET)
            .arg(gw.keys.build(kept))
            .arg(BuildHash.LOG_EXPIRES_AT)
            .arg(Instant.now().plusSeconds(3600).toEpochMilli()));
    log(kept, 1, "still here");
    status(kept, "succeeded");
    HttpResponse<String> streamed = gw.get("/api/v1/builds/" + kept + "/logs", READ_TOKEN);
    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(streamed.body()).contains("still here", "event: status");
  }
}
