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
import dev.slipway.infra.events.EventTypes;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * The change feed over SSE. The reconciler writes the feed and the projections in production; here
 * the tests write them into the real Redis themselves, in the reconciler's format ({@link
 * Projection}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The change feed over SSE from the real Redis")
class EventStreamIT {

  private static final Duration SLOW_CLIENT_TIMEOUT = Duration.ofSeconds(1);

  private GatewayFixture gw;
  private Projection projection;
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
    projection = new Projection(gw);
  }

  @AfterAll
  void stop() throws Exception {
    gw.close();
    ((Logger) LoggerFactory.getLogger(SseClient.class)).detachAppender(logs);
  }

  private static String app() {
    return "app-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String build() {
    return "b-ev-" + UUID.randomUUID().toString().substring(0, 12);
  }

  private SseReader events(String query, String... headers) throws Exception {
    SseReader reader = new SseReader(gw, "/api/v1/events" + query, READ_TOKEN, headers);
    assertThat(reader.status).as(reader.errorBody).isEqualTo(200);
    // The opening comment: the stream is open and follows the feed from here on.
    await().atMost(DEADLINE).until(() -> reader.comments.get() >= 1);
    return reader;
  }

  @Test
  @DisplayName(
      "a client gets every change after it connected, in feed order, named by type, with the"
          + " stream id as event id, and heartbeats while idle")
  void liveInOrder() throws Exception {
    String app = app();
    String build = build();
    String container = Projection.containerId();
    projection.feedContainer(container, app, "running", "start");

    try (SseReader sse = events("")) {
      assertThat(sse.headers.firstValue("content-type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
      List<String> ids = new ArrayList<>();
      ids.add(projection.feedBuild(build, "running", "clone"));
      ids.add(projection.feedContainer(container, app, "exited", "die"));
      ids.add(projection.feedDrift(app, "stopped", container));
      ids.add(projection.feedDeploy(app, "succeeded"));

      List<Event> got = sse.awaitEvents(4);
      assertThat(got).extracting(Event::id).containsExactlyElementsOf(ids);
      assertThat(got)
          .extracting(Event::name)
          .containsExactly("build", "container", "drift", "deploy");
      JsonObject b = got.get(0).data();
      assertThat(b.getString("id")).isEqualTo(build);
      assertThat(b.getString("status")).isEqualTo("running");
      assertThat(b.getString("phase")).isEqualTo("clone");
      assertThat(b.containsKey("kind")).isFalse();
      JsonObject c = got.get(1).data();
      assertThat(c.getString("event")).isEqualTo(EventTypes.CONTAINER_STATE_CHANGED);
      assertThat(c.getString("id")).isEqualTo(container);
      assertThat(c.getString("app")).isEqualTo(app);
      assertThat(c.getString("state")).isEqualTo("exited");
      assertThat(c.getString("docker_event")).isEqualTo("die");
      assertThat(c.getString("time")).isNotBlank();
      JsonObject d = got.get(2).data();
      assertThat(d.getString("drift")).isEqualTo("stopped");
      assertThat(d.getString("expected")).isEqualTo("running");
      assertThat(got.get(3).data().getString("status")).isEqualTo("succeeded");

      int comments = sse.comments.get();
      await().atMost(DEADLINE).until(() -> sse.comments.get() >= comments + 2);
      assertThat(sse.events).hasSize(4);
    }
  }

  @Test
  @DisplayName("type and app select what a client gets, live")
  void filters() throws Exception {
    String web = app();
    String other = app();
    String webContainer = Projection.containerId();
    try (SseReader webContainers = events("?type=container&app=" + web);
        SseReader buildsAndDrift = events("?type=build,drift");
        SseReader webAll = events("?app=" + web)) {
      String b1 = projection.feedBuild(build(), "queued", null);
      String c1 = projection.feedContainer(webContainer, web, "running", "start");
      String c2 = projection.feedContainer(Projection.containerId(), other, "running", "start");
      String d1 = projection.feedDrift(web, "stopped", webContainer);
      String p1 = projection.feedDeploy(web, "started");
      String c3 = projection.feedContainer(webContainer, web, "exited", "die");
      String d2 = projection.feedDrift(other, "missing", null);

      assertThat(webContainers.awaitEvents(2)).extracting(Event::id).containsExactly(c1, c3);
      assertThat(buildsAndDrift.awaitEvents(3)).extracting(Event::id).containsExactly(b1, d1, d2);
      assertThat(buildsAndDrift.events)
          .extracting(Event::name)
          .containsExactly("build", "drift", "drift");
      assertThat(webAll.awaitEvents(4)).extracting(Event::id).containsExactly(c1, d1, p1, c3);
      // Nothing else arrives: a later entry every client selects is the next event of each.
      String last = projection.feedDrift(web, "image_differs", webContainer);
      assertThat(buildsAndDrift.awaitEvents(4).get(3).id()).isEqualTo(last);
      assertThat(webAll.awaitEvents(5).get(4).id()).isEqualTo(last);
      assertThat(webContainers.events).extracting(Event::id).containsExactly(c1, c3);
      assertThat(c2).isNotNull();

      // The heartbeat carries the position past entries the filter skipped.
      await().atMost(DEADLINE).until(() -> last.equals(webContainers.lastEventId));
    }
  }

  @Test
  @DisplayName(
      "snapshot=true sends the current containers and builds the filter selects, then"
          + " snapshot_end at the feed position, then every later change live")
  void snapshotThenLive() throws Exception {
    String app = app();
    String running = Projection.containerId();
    String exited = Projection.containerId();
    projection.container(running, app, "slipway-" + app + "-2-blue", "running", 49300);
    projection.container(exited, app, "slipway-" + app + "-1-green", "exited", 0);
    projection.container(Projection.containerId(), app(), "slipway-other-1-blue", "running", 0);
    String deployingBuild = build();
    projection.build(deployingBuild, "succeeded", app);
    projection.build(build(), "running", null);
    projection.feedContainer(running, app, "running", "start");
    String position = projection.feedContainer(exited, app, "exited", "die");

    try (SseReader sse = events("?snapshot=true&app=" + app)) {
      List<Event> snapshot = sse.awaitEvents(4);
      assertThat(snapshot)
          .extracting(Event::name)
          .containsExactly("snapshot", "snapshot", "snapshot", "snapshot_end");
      assertThat(snapshot.subList(0, 3)).extracting(Event::id).containsOnlyNulls();
      List<JsonObject> items = snapshot.subList(0, 3).stream().map(Event::data).toList();
      assertThat(items)
          .filteredOn(i -> i.getString("type").equals("container"))
          .extracting(i -> i.getJsonObject("item").getString("id"))
          .containsExactlyInAnyOrder(running, exited);
      JsonObject runningView =
          items.stream()
              .map(i -> i.getJsonObject("item"))
              .filter(i -> running.equals(i.getString("id")))
              .findFirst()
              .orElseThrow();
      assertThat(runningView.getString("state")).isEqualTo("running");
      assertThat(runningView.getJsonArray("ports").getJsonObject(0).getInteger("host_port"))
          .isEqualTo(49300);
      assertThat(items)
          .filteredOn(i -> i.getString("type").equals("build"))
          .extracting(i -> i.getJsonObject("item").getString("id"))
          .containsExactly(deployingBuild);
      Event end = snapshot.get(3);
      assertThat(end.id()).isEqualTo(position);
      assertThat(end.data().getInteger("containers")).isEqualTo(2);
      assertThat(end.data().getInteger("builds")).isEqualTo(1);

      String live = projection.feedContainer(running, app, "exited", "die");
      List<Event> after = sse.awaitEvents(5);
      assertThat(after.get(4).id()).isEqualTo(live);
      assertThat(after.get(4).name()).isEqualTo("container");
      assertThat(after.get(4).data().getString("state")).isEqualTo("exited");
    }

    try (SseReader containersOnly = events("?snapshot=true&type=container&app=" + app)) {
      List<Event> got = containersOnly.awaitEvents(3);
      assertThat(got)
          .extracting(Event::name)
          .containsExactly("snapshot", "snapshot", "snapshot_end");
      assertThat(got.get(2).data().getInteger("builds")).isZero();
    }
  }

  @Test
  @DisplayName(
      "Last-Event-ID (header or query) resumes right after that event: no gap and no duplicate,"
          + " also while the feed is being written")
  void resumeNoGapNoDuplicate() throws Exception {
    String app = app();
    int total = 400;
    CompletableFuture<List<String>> writer;
    List<Event> first;
    try (SseReader sse = events("?app=" + app)) {
      writer =
          CompletableFuture.supplyAsync(
              () -> {
                List<String> ids = new ArrayList<>();
                try {
                  for (int n = 1; n <= total; n++) {
                    ids.add(projection.feedContainer("seq-" + n, app, "running", "start"));
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
                return ids;
              });
      first = sse.awaitEvents(150);
    }
    String resumeAfter = first.get(149).id();
    assertThat(first.get(149).data().getString("id")).isEqualTo("seq-150");

    try (SseReader resumed = events("?app=" + app, "Last-Event-ID", resumeAfter)) {
      List<String> ids = writer.get(60, TimeUnit.SECONDS);
      List<Event> rest = resumed.awaitEvents(total - 150);
      assertThat(rest)
          .extracting(e -> e.data().getString("id"))
          .containsExactlyElementsOf(
              IntStream.rangeClosed(151, total).mapToObj(n -> "seq-" + n).toList());
      assertThat(rest).extracting(Event::id).containsExactlyElementsOf(ids.subList(150, total));
      assertThat(rest).noneMatch(e -> e.name().equals("reset") || e.name().startsWith("snapshot"));
    }

    try (SseReader byQuery =
        events("?app=" + app + "&snapshot=true&last_event_id=" + first.get(9).id())) {
      List<Event> rest = byQuery.awaitEvents(total - 10);
      assertThat(rest.get(0).data().getString("id"))
          .as("a resume sends no snapshot")
          .isEqualTo("seq-11");
      assertThat(rest)
          .extracting(e -> e.data().getString("id"))
          .containsExactlyElementsOf(
              IntStream.rangeClosed(11, total).mapToObj(n -> "seq-" + n).toList());
    }
  }

  @Test
  @DisplayName(
      "an id older than the capped feed still keeps gets reset, then a fresh snapshot, then live;"
          + " an id the feed never had gets reset too")
  void staleIdReset() throws Exception {
    String app = app();
    String container = Projection.containerId();
    String stale = projection.feedContainer(container, app, "running", "start");
    projection.feedContainer(container, app, "exited", "die");
    projection.container(container, app, "slipway-" + app + "-1-blue", "exited", 0);
    String kept = projection.feedDrift(app, "stopped", container);
    // What the reconciler's MAXLEN cap does to a feed that has grown long.
    gw.redis(Request.cmd(Command.XTRIM).arg(gw.keys.feed()).arg("MINID").arg(kept));

    try (SseReader sse = events("?app=" + app, "Last-Event-ID", stale)) {
      List<Event> got = sse.awaitEvents(3);
      assertThat(got).extracting(Event::name).containsExactly("reset", "snapshot", "snapshot_end");
      JsonObject reset = got.get(0).data();
      assertThat(reset.getString("reason")).isEqualTo("last_event_id_expired");
      assertThat(reset.getString("last_event_id")).isEqualTo(stale);
      assertThat(reset.getString("detail")).contains(stale);
      assertThat(got.get(1).data().getJsonObject("item").getString("state")).isEqualTo("exited");
      assertThat(got.get(2).id()).isEqualTo(kept);

      String live = projection.feedContainer(container, app, "running", "start");
      assertThat(sse.awaitEvents(4).get(3).id()).isEqualTo(live);
    }

    try (SseReader sse = events("?app=" + app, "Last-Event-ID", "99999999999999-0")) {
      List<Event> got = sse.awaitEvents(3);
      assertThat(got).extracting(Event::name).containsExactly("reset", "snapshot", "snapshot_end");
      assertThat(got.get(0).data().getString("reason")).isEqualTo("last_event_id_unknown");
    }
  }

  @Test
  @DisplayName("a client that stops reading is disconnected while another keeps receiving")
  void slowClientDropped() throws Exception {
    String app = app();
    int entries = 2_000;
    String pad = "x".repeat(4_000);
    logs.list.clear();
    try (SseReader fast = events("?type=drift&app=" + app);
        Socket slow = new Socket()) {
      slow.setReceiveBufferSize(4096);
      slow.connect(new InetSocketAddress("127.0.0.1", gw.config.httpPort()), 5_000);
      OutputStream out = slow.getOutputStream();
      out.write(
          ("GET /api/v1/events?type=drift&app="
                  + app
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Authorization: Bearer "
                  + READ_TOKEN
                  + "\r\nAccept: text/event-stream\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // The slow client's stream is open (its opening comment went out) before the burst.
      await("the slow client joined")
          .atMost(DEADLINE)
          .until(() -> slow.getInputStream().available() > 0);

      List<Request> batch = new ArrayList<>();
      for (int n = 1; n <= entries; n++) {
        batch.add(
            projection.xaddRequest(
                List.of(
                    "kind", "container",
                    "event", EventTypes.CONTAINER_DRIFT,
                    "app", app,
                    "drift", "stopped",
                    "expected", "running",
                    "found", n + " " + pad,
                    "time", "2025-01-01T00:00:00Z")));
        if (batch.size() == 200) {
          gw.redis.batch(batch).await(20, TimeUnit.SECONDS);
          batch = new ArrayList<>();
        }
      }

      List<Event> got = fast.awaitEvents(entries);
      assertThat(got.get(entries - 1).data().getString("found")).startsWith(entries + " ");
      assertThat(got).hasSize(entries);

      await("the slow client is disconnected")
          .atMost(DEADLINE)
          .until(
              () ->
                  logs.list.stream()
                      .anyMatch(
                          e ->
                              e.getFormattedMessage().contains("too slow")
                                  && e.getFormattedMessage().contains("stream=events")));
      slow.setSoTimeout((int) DEADLINE.toMillis());
      assertThat(SseReader.drain(slow.getInputStream())).isGreaterThan(0);

      String after = projection.feedDrift(app, "missing", null);
      assertThat(fast.awaitEvents(entries + 1).get(entries).id()).isEqualTo(after);
    }
  }

  @Test
  @DisplayName(
      "the stream needs a token (header or ?access_token=) and names a bad type or"
          + " Last-Event-ID")
  void authAndBadInput() throws Exception {
    HttpResponse<String> anonymous = gw.get("/api/v1/events", null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();
    assertThat(gw.get("/api/v1/events?access_token=wrong-token-0000000", null).statusCode())
        .isEqualTo(401);

    try (SseReader byQuery = new SseReader(gw, "/api/v1/events?access_token=" + READ_TOKEN, null)) {
      assertThat(byQuery.status).isEqualTo(200);
      String id = projection.feedDeploy(app(), "started");
      assertThat(byQuery.awaitEvents(1).get(0).id()).isEqualTo(id);
    }

    HttpResponse<String> badType = gw.get("/api/v1/events?type=container,weather", READ_TOKEN);
    assertThat(badType.statusCode()).isEqualTo(400);
    assertThat(json(badType).getString("field")).isEqualTo("type");

    HttpResponse<String> badId =
        gw.send(
            gw.request("/api/v1/events", READ_TOKEN)
                .header("Last-Event-ID", "yesterday")
                .GET()
                .build());
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(json(badId).getString("field")).isEqualTo("Last-Event-ID");
  }
}
