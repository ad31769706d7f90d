package dev.slipway.infra.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.HostConfig;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.RedisPrefix;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code infra/slipway bench reconcile}: the container reconciler and the change feed, against the
 * Docker engine's own view, in the same run.
 *
 * <ol>
 *   <li>Lag from a container state change to an SSE client of {@code /api/v1/events}: {@value
 *       #CHANGES_DEFAULT} stops and starts of labelled busybox containers. Each change's reference
 *       time is the engine's own timestamp of the event ({@code timeNano} of {@code die} or {@code
 *       start} on the engine's event stream, which this benchmark follows itself, like {@code
 *       docker events}); the baseline is the arrival of that same event on the benchmark's engine
 *       stream.
 *   <li>Full resync of {@value #CONTAINERS_DEFAULT} managed containers: the platform runs with
 *       {@code SLIPWAY_RESYNC_INTERVAL=1s} (throughout, so the lag is measured with the periodic
 *       resync running too); the benchmark deletes every key of the platform at once (as a FLUSHALL
 *       of its Redis would) and times until the projection holds every container again, which
 *       includes the wait (up to the interval) until the next periodic resync notices. The baseline
 *       is one {@code docker ps -a} + sequential {@code docker inspect} of all of them, done by the
 *       benchmark.
 *   <li>The platform's RSS idle and with the containers projected.
 * </ol>
 *
 * <p>Containers run {@code sleep} without a network (nothing is published); every container and the
 * image are removed at the end.
 */
public final class ReconcileBench {

  static final int CHANGES_DEFAULT = 200;
  static final int CONTAINERS_DEFAULT = 300;

  private static final int CHANGES = Integer.getInteger("bench.changes", CHANGES_DEFAULT);
  private static final int CONTAINERS = Integer.getInteger("bench.containers", CONTAINERS_DEFAULT);
  private static final int LAG_CONTAINERS = 10;
  private static final int RESYNC_ROUNDS = Integer.getInteger("bench.rounds", 5);
  private static final String RESYNC_INTERVAL = "1s";
  private static final Duration CHANGE_DEADLINE = Duration.ofSeconds(15);
  private static final Duration SETTLE = Duration.ofSeconds(5);

  /** Marks this run's containers, so the benchmark's engine stream sees only them. */
  private static final String RUN_LABEL = "dev.slipway.bench.run";

  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private final String image = "slipway-bench/idle-" + run + ":latest";
  private final DockerClient docker = DockerEngine.require();
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> containers = Collections.synchronizedList(new ArrayList<>());
  private final Vertx vertx = Vertx.vertx();
  private final Redis redis = RedisClients.create(vertx, RedisServer.url());

  /**
   * One sighting of a change: what changed, the engine's time of it (for an SSE event: when its
   * feed entry was appended), when it arrived.
   */
  private record Seen(String container, String what, long engineNanos, long arrivedNanos) {}

  private final List<Seen> engineSeen = Collections.synchronizedList(new ArrayList<>());
  private final List<Seen> sseSeen = Collections.synchronizedList(new ArrayList<>());
  private volatile int vanished;

  public static void main(String[] args) throws Exception {
    new ReconcileBench().runAll();
    System.exit(0);
  }

  private void runAll() throws Exception {
    BusyboxImages.build(image, List.of("CMD [\"/bin/sleep\", \"86400\"]"), Map.of());
    try {
      RedisKeys keys = new RedisKeys("bench-" + run + ":");
      Lag lag;
      long rssIdleKb;
      long rssLoadedKb;
      long peakKb;
      List<Double> listInspect = new ArrayList<>();
      List<Double> total = new ArrayList<>();
      List<Double> rebuild = new ArrayList<>();
      int projected;
      // One platform for everything: it starts before any of the benchmark's containers exists,
      // so nothing it does at start (a deployer's recovery) sees them.
      try (Platform platform =
          Platform.start(
              RedisServer.url(),
              Map.of(RedisKeys.ENV, keys.prefix(), "SLIPWAY_RESYNC_INTERVAL", RESYNC_INTERVAL))) {
        settle();
        rssIdleKb = platform.memoryKb().get("VmRSS");
        createAndStart(LAG_CONTAINERS);
        awaitProjected(keys, Duration.ofSeconds(60));
        lag = lag(platform);
        createAndStart(CONTAINERS - LAG_CONTAINERS);
        projected = awaitProjected(keys, Duration.ofMinutes(3));
        for (int round = 0; round < RESYNC_ROUNDS; round++) {
          listInspect.add(listAndInspect());
        }
        settle();
        Map<String, Long> memory = platform.memoryKb();
        rssLoadedKb = memory.get("VmRSS");
        peakKb = memory.get("VmHWM");
        for (int round = 0; round < RESYNC_ROUNDS; round++) {
          double[] r = flushAndResync(keys);
          total.add(r[0]);
          rebuild.add(r[1]);
        }
      }
      deleteKeys(keys);

      Stats.print(
          "bench reconcile — "
              + lag.sse.size()
              + " container state changes, "
              + projected
              + " managed containers, "
              + RESYNC_ROUNDS
              + " resync rounds ("
              + Runtime.getRuntime().availableProcessors()
              + " cores)",
          List.of("metric", "slipway", "baseline", "ratio", "target"),
          List.of(
              List.of(
                  "state change → SSE client p50, ms (vs engine event → own docker events)",
                  Stats.f(Stats.percentile(lag.sse, 50), 1),
                  Stats.f(Stats.percentile(lag.engine, 50), 1),
                  Stats.f(Stats.percentile(lag.sse, 50) / Stats.percentile(lag.engine, 50), 1),
                  ""),
              List.of(
                  "state change → SSE client p99, ms",
                  Stats.f(Stats.percentile(lag.sse, 99), 1),
                  Stats.f(Stats.percentile(lag.engine, 99), 1),
                  Stats.f(Stats.percentile(lag.sse, 99) / Stats.percentile(lag.engine, 99), 1),
                  "≤ 100"),
              List.of(
                  "state change → SSE client max, ms",
                  Stats.f(Stats.percentile(lag.sse, 100), 1),
                  Stats.f(Stats.percentile(lag.engine, 100), 1),
                  "",
                  ""),
              List.of(
                  "  of which engine event → feed entry (reconciler) p50 / p99, ms",
                  Stats.f(Stats.percentile(lag.toFeed, 50), 0)
                      + " / "
                      + Stats.f(Stats.percentile(lag.toFeed, 99), 0),
                  "",
                  "",
                  ""),
              List.of(
                  "  of which feed entry → SSE client (gateway) p50 / p99, ms",
                  Stats.f(Stats.percentile(lag.feedToSse, 50), 0)
                      + " / "
                      + Stats.f(Stats.percentile(lag.feedToSse, 99), 0),
                  "",
                  "",
                  ""),
              List.of(
                  "full resync after flush, median s (vs docker ps + inspect all)",
                  Stats.f(Stats.median(total), 2),
                  Stats.f(Stats.median(listInspect), 2),
                  Stats.f(Stats.median(total) / Stats.median(listInspect), 1),
                  "≤ 3"),
              List.of(
                  "full resync after flush, max s",
                  Stats.f(Stats.percentile(total, 100), 2),
                  Stats.f(Stats.percentile(listInspect, 100), 2),
                  "",
                  "≤ 3"),
              List.of(
                  "  of which rebuild (first entry back → all), median s",
                  Stats.f(Stats.median(rebuild), 2),
                  Stats.f(Stats.median(listInspect), 2),
                  Stats.f(Stats.median(rebuild) / Stats.median(listInspect), 1),
                  ""),
              List.of(
                  "platform RSS idle → " + projected + " containers, MiB (peak)",
                  rssIdleKb / 1024 + " → " + rssLoadedKb / 1024 + " (" + peakKb / 1024 + ")",
                  "",
                  "",
                  "")));
      System.out.println(
          "Platform: SLIPWAY_RESYNC_INTERVAL="
              + RESYNC_INTERVAL
              + " throughout. Lag reference: the engine's timeNano of die/start; baseline: the"
              + " same event arriving on the benchmark's own engine event stream. Resync: every"
              + " platform key deleted at once (a FLUSHALL of its data), timed until the container"
              + " set holds every container again; this includes the wait for the next periodic"
              + " pass. Baseline: docker ps -a + sequential inspect of every container, by the"
              + " benchmark."
              + (vanished > 0
                  ? " " + vanished + " containers were removed by something else during the run."
                  : ""));
    } finally {
      removeContainers();
      BusyboxImages.remove(image);
      redis.close();
      vertx.close();
    }
  }

  // ------------------------------------------------------------------ containers

  private void createAndStart(int count) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> started = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        started.add(pool.submit(this::createOne));
      }
      for (Future<String> f : started) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdown();
    }
  }

  private String createOne() {
    String app = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> labels = new HashMap<>();
    labels.put(Labels.MANAGED, Labels.TRUE);
    labels.put(Labels.APP, app);
    labels.put(Labels.ROLE, "web");
    labels.put(Labels.COLOR, "blue");
    labels.put(Labels.REVISION, "1");
    labels.put(Labels.DEPLOYMENT, "bench-" + run);
    labels.put(DockerEngine.TEST_LABEL, "true");
    labels.put(RUN_LABEL, run);
    String id =
        docker
            .createContainerCmd(image)
            .withName(Labels.containerName(app, 1, "blue"))
            .withLabels(labels)
            .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
            .exec()
            .getId();
    containers.add(id);
    docker.startContainerCmd(id).exec();
    return id;
  }

  private void removeContainers() {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<String> ids;
    synchronized (containers) {
      ids = List.copyOf(containers);
    }
    for (String id : ids) {
      pool.submit(
          () -> {
            try {
              docker.removeContainerCmd(id).withForce(true).exec();
            } catch (NotFoundException gone) {
              // Nothing to do.
            } catch (RuntimeException e) {
              System.err.println("could not remove container " + id + ": " + e);
            }
          });
    }
    pool.shutdown();
    try {
      pool.awaitTermination(5, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Seconds for what a person would do: list the managed containers, inspect each in turn. */
  private double listAndInspect() {
    long start = System.nanoTime();
    List<Container> listed =
        docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(RUN_LABEL, run)).exec();
    for (Container c : listed) {
      try {
        docker.inspectContainerCmd(c.getId()).exec();
      } catch (NotFoundException removedBySomethingElse) {
        // Counted by the next alive() call.
      }
    }
    return (System.nanoTime() - start) / 1e9;
  }

  // ------------------------------------------------------------------ lag

  /**
   * Per change, in ms: engine event → SSE client, → the benchmark's own engine stream, → the feed
   * entry (reconciler), and feed entry → SSE client (gateway).
   */
  private record Lag(
      List<Double> sse, List<Double> engine, List<Double> toFeed, List<Double> feedToSse) {}

  private Lag lag(Platform platform) throws Exception {
    List<String> ids;
    synchronized (containers) {
      ids = new ArrayList<>(containers.subList(0, LAG_CONTAINERS));
    }
    Map<String, Boolean> running = new HashMap<>();
    ids.forEach(id -> running.put(id, true));
    try (Closeable engine = followEngine();
        Closeable sse = followSse(platform)) {
      List<Double> sseLag = new ArrayList<>();
      List<Double> engineLag = new ArrayList<>();
      List<Double> toFeed = new ArrayList<>();
      List<Double> feedToSse = new ArrayList<>();
      for (int i = 0; i < CHANGES; i++) {
        String id = ids.get(i % ids.size());
        boolean stop = running.get(id);
        String action = stop ? "die" : "start";
        String state = stop ? "exited" : "running";
        long issued = epochNanos();
        try {
          if (stop) {
            docker.stopContainerCmd(id).withTimeout(0).exec();
          } else {
            docker.startContainerCmd(id).exec();
          }
        } catch (NotFoundException removedBySomethingElse) {
          vanished++;
          ids.remove(id);
          if (ids.isEmpty()) {
            throw new IllegalStateException("every container of the lag run was removed");
          }
          continue;
        }
        running.put(id, !stop);
        Seen raw = await(() -> find(engineSeen, id, action, issued), "engine " + action + " " + id);
        Seen feed =
            await(
                () -> find(sseSeen, id, state, raw.engineNanos() - 1),
                "SSE " + state + " of " + id);
        sseLag.add((feed.arrivedNanos() - raw.engineNanos()) / 1e6);
        engineLag.add((raw.arrivedNanos() - raw.engineNanos()) / 1e6);
        // Stream ids have millisecond resolution: the split is good to a millisecond.
        toFeed.add((feed.engineNanos() - raw.engineNanos()) / 1e6);
        feedToSse.add((feed.arrivedNanos() - feed.engineNanos()) / 1e6);
      }
      return new Lag(sseLag, engineLag, toFeed, feedToSse);
    }
  }

  private static Seen find(List<Seen> seen, String container, String what, long afterNanos) {
    synchronized (seen) {
      for (Seen s : seen) {
        if (s.container().equals(container)
            && s.what().equals(what)
            && s.arrivedNanos() > afterNanos) {
          return s;
        }
      }
    }
    return null;
  }

  private static Seen await(Supplier<Seen> probe, String what) throws InterruptedException {
    long deadline = System.nanoTime() + CHANGE_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      Seen s = probe.get();
      if (s != null) {
        return s;
      }
      TimeUnit.MILLISECONDS.sleep(1);
    }
    throw new IllegalStateException(what + " not seen within " + CHANGE_DEADLINE);
  }

  /** The engine's event stream, as {@code docker events} shows it, for this run's containers. */
  private Closeable followEngine() throws InterruptedException {
    ResultCallback.Adapter<Event> callback =
        docker
            .eventsCmd()
            .withEventTypeFilter(EventType.CONTAINER)
            .withLabelFilter(Map.of(RUN_LABEL, run))
            .exec(
                new ResultCallback.Adapter<>() {
                  @Override
                  public void onNext(Event event) {
                    long arrived = epochNanos();
                    if (event.getTimeNano() != null && event.getId() != null) {
                      engineSeen.add(
                          new Seen(event.getId(), event.getAction(), event.getTimeNano(), arrived));
                    }
                  }
                });
    callback.awaitStarted(10, TimeUnit.SECONDS);
    return callback;
  }

  /** An SSE client of the change feed, as a dashboard would hold one. */
  private Closeable followSse(Platform platform) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                platform.uri("/api/v1/events?type=container&access_token=" + Platform.TOKEN))
            .header("accept", "text/event-stream")
            .build();
    HttpResponse<InputStream> response =
        http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("SSE answered " + response.statusCode());
    }
    InputStream body = response.body();
    Thread reader =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try (BufferedReader in =
                      new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    String event = null;
                    String id = null;
                    String line;
                    while ((line = in.readLine()) != null) {
                      if (line.startsWith("event:")) {
                        event = line.substring(6).trim();
                      } else if (line.startsWith("id:")) {
                        id = line.substring(3).trim();
                      } else if (line.startsWith("data:") && "container".equals(event)) {
                        long arrived = epochNanos();
                        JsonNode data = Json.mapper().readTree(line.substring(5).trim());
                        // The stream id's first part is when Redis appended the feed entry.
                        long appended =
                            id == null
                                ? 0
                                : Long.parseLong(id.substring(0, id.indexOf('-'))) * 1_000_000L;
                        sseSeen.add(
                            new Seen(
                                data.path("id").asText(),
                                data.path("state").asText(),
                                appended,
                                arrived));
                      } else if (line.isEmpty()) {
                        event = null;
                        id = null;
                      }
                    }
                  } catch (Exception closed) {
                    // The benchmark closed the stream.
                  }
                });
    return () -> {
      body.close();
      reader.interrupt();
    };
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  // ------------------------------------------------------------------ resync

  /** Seconds from deleting every key to the full projection: total, and first entry → all. */
  private double[] flushAndResync(RedisKeys keys) throws Exception {
    List<String> ids = alive();
    deleteKeys(keys);
    long start = System.nanoTime();
    long first = -1;
    long deadline = start + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      int present = projected(keys, ids);
      long now = System.nanoTime();
      if (present > 0 && first < 0) {
        first = now;
      }
      if (present == ids.size()) {
        return new double[] {(now - start) / 1e9, (now - first) / 1e9};
      }
      TimeUnit.MILLISECONDS.sleep(2);
    }
    throw new IllegalStateException("the projection was not rebuilt within 2 minutes");
  }

  /** Waits until every container of this run is in the projection; answers how many. */
  private int awaitProjected(RedisKeys keys, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      List<String> ids = alive();
      if (projected(keys, ids) == ids.size()) {
        return ids.size();
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    throw new IllegalStateException("this run's containers not projected within " + timeout);
  }

  /** How many of {@code ids} the container set holds; the engine has others' containers too. */
  private int projected(RedisKeys keys, List<String> ids) throws Exception {
    if (ids.isEmpty()) {
      return 0;
    }
    Request request = Request.cmd(Command.SMISMEMBER).arg(keys.containers());
    ids.forEach(request::arg);
    int present = 0;
    for (Response member : send(request)) {
      present += member.toInteger();
    }
    return present;
  }

  /** This run's containers that still exist (a shared engine may have others remove some). */
  private List<String> alive() {
    List<String> ids =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(RUN_LABEL, run))
            .exec()
            .stream()
            .map(Container::getId)
            .toList();
    int created;
    synchronized (containers) {
      created = containers.size();
    }
    vanished = Math.max(vanished, created - ids.size());
    return ids;
  }

  /** Deletes every key under the prefix in one command, as a FLUSHALL of the platform's Redis. */
  private void deleteKeys(RedisKeys keys) throws Exception {
    RedisPrefix.delete(redis, keys.prefix());
  }

  private Response send(Request request) throws Exception {
    return redis.send(request).await(10, TimeUnit.SECONDS);
  }

  private static void settle() throws InterruptedException {
    // Lets start-up work and its garbage settle before memory is read: a measurement, not a wait
    // for anything.
    TimeUnit.MILLISECONDS.sleep(SETTLE.toMillis());
  }
}
