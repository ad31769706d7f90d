package dev.slipway.infra.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code infra/slipway bench deploy}: blue-green deploys through the whole platform (its own
 * process) while traffic flows through the edge router.
 *
 * <ol>
 *   <li>{@code bench.redeploys} (20) blue-green redeploys alternating two busybox httpd images
 *       under a constant {@code bench.rate} (500) req/s through the edge, paced open-loop (a
 *       request is due every 1/rate s whether or not earlier ones answered; at most {@value
 *       #MAX_IN_FLIGHT} in flight, a due request beyond that counts as failed), after {@code
 *       bench.warmup} (20) s of the same load that are not counted. Failed requests (target 0), p99
 *       inside the cut-over windows (POST → deployment succeeded) vs outside.
 *   <li>Router overhead, same run: closed-loop keep-alive connections to the live container through
 *       the edge vs at its published port ({@code upstream} of {@code GET /api/v1/apps/<app>}),
 *       alternating. Targets: throughput ≥ 0.8x, p99 ≤ 1.5x.
 *   <li>Deploy time (POST → the app hash shows the new deployment live) without traffic, each
 *       deploy followed by its baseline: docker create + start of the same image with docker-java,
 *       then polling {@code /up} at the same interval the spec's health check uses until 200.
 *       Target: median minus baseline median ≤ 300 ms.
 * </ol>
 */
public final class DeployBench {

  private static final int REDEPLOYS = Integer.getInteger("bench.redeploys", 20);
  private static final int RATE = Integer.getInteger("bench.rate", 500);
  private static final int CONNECTIONS = Integer.getInteger("bench.connections", 8);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 3);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
  private static final int BASELINES = Integer.getInteger("bench.baselines", 5);

  /**
   * Seconds of the same load before anything is measured: a platform that has run a while has
   * compiled its edge path (and so has this client); a JVM seconds old answers in seconds.
   */
  private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup", 20);

  private static final int MAX_IN_FLIGHT = 256;
  private static final long PROBE_INTERVAL_MS = 50;
  private static final Duration DEPLOY_DEADLINE = Duration.ofSeconds(90);
  private static final Duration TOTAL_LOAD_BOUND = Duration.ofMinutes(10);

  private final java.net.http.HttpClient rest =
      java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Platform platform;
  private int edgePort;
  private final String app = "bench-" + UUID.randomUUID().toString().substring(0, 6);

  /** One request of the open-loop load: when it was due, how long it took, whether it passed. */
  private record Sample(long dueNanos, long latencyNanos, boolean ok, boolean shed, String error) {}

  public static void main(String[] args) throws Exception {
    new DeployBench().run();
    System.exit(0);
  }

  private void run() throws Exception {
    String v1 = BusyboxImages.randomTag();
    String v2 = BusyboxImages.randomTag();
    BusyboxImages.httpImage(v1, Map.of("up", "ok", "version", "v1", "page", "x".repeat(1024)));
    BusyboxImages.httpImage(v2, Map.of("up", "ok", "version", "v2", "page", "x".repeat(1024)));
    edgePort = LoopbackPorts.free();
    Vertx vertx = Vertx.vertx();
    try {
      platform =
          Platform.start(
              RedisServer.url(),
              Map.of(
                  "SLIPWAY_EDGE_PORT", String.valueOf(edgePort),
                  "SLIPWAY_KEY_PREFIX", RedisServer.randomKeyPrefix(),
                  "SLIPWAY_DEPLOY_ROLLBACK_WINDOW", "1s",
                  "SLIPWAY_DEPLOY_DRAIN_GRACE", "1s",
                  "SLIPWAY_DEPLOY_STOP_TIMEOUT", "2s"));
      List<List<String>> rows = new ArrayList<>();
      awaitLive(deploy(v1), DEPLOY_DEADLINE);

      // (a) + (c): redeploys under open-loop load.
      HttpClient client =
          vertx.createHttpClient(
              new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
              new PoolOptions().setHttp1MaxSize(MAX_IN_FLIGHT));
      Context context = vertx.getOrCreateContext();
      ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
      AtomicLong inFlight = new AtomicLong();
      long loadStart = System.nanoTime();
      long[] timer = new long[1];
      RequestOptions routed =
          new RequestOptions()
              .setHost("127.0.0.1")
              .setPort(edgePort)
              .setURI("/apps/" + app + "/version");
      long periodNanos = TimeUnit.SECONDS.toNanos(1) / RATE;
      long[] next = {System.nanoTime()};
      context.runOnContext(
          v ->
              timer[0] =
                  vertx.setPeriodic(
                      1,
                      t -> {
                        long now = System.nanoTime();
                        while (next[0] <= now) {
                          long due = next[0];
                          next[0] += periodNanos;
                          if (inFlight.get() >= MAX_IN_FLIGHT) {
                            samples.add(new Sample(due, 0, false, true, "not sent"));
                            continue;
                          }
                          inFlight.incrementAndGet();
                          one(client, routed)
                              .onComplete(
                                  r -> {
                                    inFlight.decrementAndGet();
                                    String body = r.succeeded() ? r.result().trim() : "";
                                    boolean ok = body.equals("v1") || body.equals("v2");
                                    samples.add(
                                        new Sample(
                                            due,
                                            System.nanoTime() - due,
                                            ok,
                                            false,
                                            ok
                                                ? null
                                                : r.failed()
                                                    ? r.cause().toString()
                                                    : "body " + body));
                                  });
                        }
                      }));
      List<long[]> windows = new ArrayList<>();
      List<Double> deployMs = new ArrayList<>();
      int done = 0;
      long measureStart = loadStart + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
      try {
        // Warm-up, then a quiet stretch before the first deploy, for the outside-window latency.
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(measureStart - System.nanoTime()) + 2000);
        for (int i = 0; i < REDEPLOYS; i++) {
          if (System.nanoTime() - measureStart > TOTAL_LOAD_BOUND.toNanos()) {
            break;
          }
          long posted = System.nanoTime();
          String id = deploy(i % 2 == 0 ? v2 : v1);
          long live = awaitLive(id, DEPLOY_DEADLINE);
          deployMs.add((live - posted) / 1e6);
          long finished = awaitSucceeded(id, DEPLOY_DEADLINE);
          windows.add(new long[] {posted, finished, live});
          done++;
        }
        // A quiet stretch after the last deploy, for the outside-window latency.
        Thread.sleep(2000);
      } finally {
        context.runOnContext(v -> vertx.cancelTimer(timer[0]));
      }
      long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (inFlight.get() > 0 && System.nanoTime() < drainDeadline) {
        Thread.sleep(10);
      }
      List<Long> inside = new ArrayList<>();
      List<Long> outside = new ArrayList<>();
      long failed = 0;
      long shed = 0;
      Map<String, Integer> causes = new TreeMap<>();
      List<Sample> measured = new ArrayList<>();
      List<Long> warmup = new ArrayList<>();
      long warmupFailed = 0;
      for (Sample s : samples) {
        if (s.dueNanos() < measureStart) {
          warmupFailed += s.ok() ? 0 : 1;
          if (s.ok()) {
            warmup.add(s.latencyNanos());
          }
        } else {
          measured.add(s);
        }
      }
      System.out.printf(
          "warm-up: %d s at %d req/s, %d requests, %d failed, p99 %.1f ms (not counted below)%n",
          WARMUP_SECONDS,
          RATE,
          warmup.size() + warmupFailed,
          warmupFailed,
          warmup.isEmpty() ? 0 : Stats.percentile(warmup, 99) / 1e6);
      for (Sample s : measured) {
        if (s.shed()) {
          shed++;
        } else if (!s.ok()) {
          causes.merge(s.error(), 1, Integer::sum);
        }
        if (!s.ok()) {
          failed++;
          continue;
        }
        boolean during =
            windows.stream().anyMatch(w -> s.dueNanos() >= w[0] && s.dueNanos() <= w[1]);
        (during ? inside : outside).add(s.latencyNanos());
      }
      rows.add(
          List.of(
              "redeploys under " + RATE + " req/s",
              done + " deploys, " + measured.size() + " requests",
              "failed "
                  + failed
                  + " (of which not sent, "
                  + MAX_IN_FLIGHT
                  + " in flight: "
                  + shed
                  + ")",
              "target 0",
              failed == 0 ? "ok" : "MISSED"));
      if (!causes.isEmpty()) {
        System.out.println("sent requests that failed, by cause: " + causes);
      }
      String trace = System.getProperty("bench.trace");
      if (trace != null) {
        writeTrace(Path.of(trace), loadStart, samples, windows);
      }
      double pIn = Stats.percentile(inside, 99) / 1e6;
      double pOut = Stats.percentile(outside, 99) / 1e6;
      rows.add(
          List.of(
              "p99 cut-over vs outside",
              Stats.f(pIn, 2) + " ms vs " + Stats.f(pOut, 2) + " ms",
              Stats.f(pIn / pOut, 2) + "x",
              "-",
              "(" + inside.size() + " / " + outside.size() + " samples)"));

      // (c) deploy time without traffic, alternating with its baseline: the same image created
      // and started by hand with docker-java, polled like the health gate. Under the load above a
      // docker start takes several times longer, which is the engine's cost, not the deployer's.
      List<Double> quietDeploys = new ArrayList<>();
      List<Double> baseline = new ArrayList<>();
      for (int i = 0; i < BASELINES; i++) {
        long posted = System.nanoTime();
        String id = deploy(done % 2 == 0 ? v2 : v1);
        quietDeploys.add((awaitLive(id, DEPLOY_DEADLINE) - posted) / 1e6);
        awaitSucceeded(id, DEPLOY_DEADLINE);
        done++;
        baseline.add(baselineStartMs(v1));
      }
      double deployMedian = Stats.median(quietDeploys);
      double baseMedian = Stats.median(baseline);
      double overhead = deployMedian - baseMedian;
      rows.add(
          List.of(
              "deploy time (POST → live), median",
              Stats.f(deployMedian, 0) + " ms vs start+probe " + Stats.f(baseMedian, 0) + " ms",
              "overhead "
                  + Stats.f(overhead, 0)
                  + " ms ("
                  + Stats.f(deployMedian / baseMedian, 2)
                  + "x)",
              "≤ 300 ms",
              overhead <= 300 ? "ok" : "MISSED"));
      rows.add(
          List.of(
              "deploy time p90",
              Stats.f(Stats.percentile(quietDeploys, 90), 0) + " ms",
              "baseline p90 " + Stats.f(Stats.percentile(baseline, 90), 0) + " ms",
              "-",
              "-"));
      rows.add(
          List.of(
              "deploy time under the load, median",
              Stats.f(Stats.median(deployMs), 0) + " ms",
              "",
              "-",
              "-"));

      // (b) router overhead against the live container.
      String upstream = appView().getString("upstream");
      String[] hostPort = upstream.split(":");
      RequestOptions direct =
          new RequestOptions()
              .setHost(hostPort[0])
              .setPort(Integer.parseInt(hostPort[1]))
              .setURI("/page");
      RequestOptions viaEdge =
          new RequestOptions()
              .setHost("127.0.0.1")
              .setPort(edgePort)
              .setURI("/apps/" + app + "/page");
      HttpClient closed =
          vertx.createHttpClient(
              new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
              new PoolOptions().setHttp1MaxSize(CONNECTIONS));
      List<Long> directLat = new ArrayList<>();
      List<Long> edgeLat = new ArrayList<>();
      long[] directCount = new long[2];
      long[] edgeCount = new long[2];
      closedLoop(context, closed, direct, new ArrayList<>(), new long[2], 1);
      closedLoop(context, closed, viaEdge, new ArrayList<>(), new long[2], 1);
      for (int r = 0; r < ROUNDS; r++) {
        closedLoop(context, closed, direct, directLat, directCount, SECONDS);
        closedLoop(context, closed, viaEdge, edgeLat, edgeCount, SECONDS);
      }
      double directRps = directCount[0] / (directCount[1] / 1e9);
      double edgeRps = edgeCount[0] / (edgeCount[1] / 1e9);
      double dP50 = Stats.percentile(directLat, 50) / 1e6;
      double eP50 = Stats.percentile(edgeLat, 50) / 1e6;
      double dP99 = Stats.percentile(directLat, 99) / 1e6;
      double eP99 = Stats.percentile(edgeLat, 99) / 1e6;
      rows.add(
          List.of(
              "router throughput",
              Stats.f(edgeRps, 0) + " vs direct " + Stats.f(directRps, 0) + " req/s",
              Stats.f(edgeRps / directRps, 2) + "x",
              "≥ 0.8x",
              edgeRps / directRps >= 0.8 ? "ok" : "MISSED"));
      rows.add(
          List.of(
              "router p50",
              Stats.f(eP50, 3) + " vs direct " + Stats.f(dP50, 3) + " ms",
              Stats.f(eP50 / dP50, 2) + "x",
              "-",
              "-"));
      rows.add(
          List.of(
              "router p99",
              Stats.f(eP99, 3) + " vs direct " + Stats.f(dP99, 3) + " ms",
              Stats.f(eP99 / dP99, 2) + "x",
              "≤ 1.5x",
              eP99 / dP99 <= 1.5 ? "ok" : "MISSED"));
      Stats.print(
          "bench deploy (" + CONNECTIONS + " connections for router overhead)",
          List.of("measure", "value", "ratio", "target", "result"),
          rows);
      HttpResponse<String> removed = send("DELETE", "/api/v1/apps/" + app, null);
      if (removed.statusCode() == 202) {
        long end = System.nanoTime() + DEPLOY_DEADLINE.toNanos();
        while (System.nanoTime() < end && appContainers() > 0) {
          Thread.sleep(200);
        }
      }
    } finally {
      DockerClient docker = DockerEngine.client();
      docker
          .listContainersCmd()
          .withShowAll(true)
          .withLabelFilter(Map.of(Labels.APP, app))
          .exec()
          .forEach(c -> docker.removeContainerCmd(c.getId()).withForce(true).exec());
      if (platform != null) {
        platform.close();
      }
      vertx.close().await(10, TimeUnit.SECONDS);
      BusyboxImages.remove(v1);
      BusyboxImages.remove(v2);
    }
  }

  /**
   * {@code -Dbench.trace=FILE}: every request ({@code req due_ms latency_ms ok error}) and every
   * deploy ({@code deploy posted_ms live_ms finished_ms}), in ms since the load began, to line up
   * latency with what the deployer did then.
   */
  private static void writeTrace(
      Path file, long origin, Iterable<Sample> samples, List<long[]> windows) throws IOException {
    List<String> lines = new ArrayList<>();
    for (long[] w : windows) {
      lines.add(
          "deploy "
              + Stats.f((w[0] - origin) / 1e6, 1)
              + " "
              + Stats.f((w[2] - origin) / 1e6, 1)
              + " "
              + Stats.f((w[1] - origin) / 1e6, 1));
    }
    for (Sample s : samples) {
      lines.add(
          "req "
              + Stats.f((s.dueNanos() - origin) / 1e6, 1)
              + " "
              + Stats.f(s.latencyNanos() / 1e6, 1)
              + " "
              + s.ok()
              + (s.error() == null ? "" : " " + s.error().replace(' ', '_')));
    }
    Files.write(file, lines);
  }

  private long appContainers() {
    return DockerEngine.client()
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of(Labels.APP, app))
        .exec()
        .size();
  }

  private static Future<String> one(HttpClient client, RequestOptions options) {
    return client
        .request(options)
        .compose(request -> request.send())
        .compose(
            response ->
                response.statusCode() == 200
                    ? response.body().map(Object::toString)
                    : Future.failedFuture("status " + response.statusCode()))
        .timeout(10, TimeUnit.SECONDS);
  }

  /** {@link #CONNECTIONS} loops, each sending the next request when the last answered. */
  private static void closedLoop(
      Context context,
      HttpClient client,
      RequestOptions options,
      List<Long> latencies,
      long[] countAndNanos,
      int seconds)
      throws Exception {
    Promise<Void> done = Promise.promise();
    List<Long> local = new ArrayList<>();
    context.runOnContext(
        v -> {
          long start = System.nanoTime();
          long end = start + TimeUnit.SECONDS.toNanos(seconds);
          int[] running = {CONNECTIONS};
          for (int i = 0; i < CONNECTIONS; i++) {
            step(
                client,
                options,
                end,
                local,
                () -> {
                  if (--running[0] == 0) {
                    countAndNanos[0] += local.size();
                    countAndNanos[1] += System.nanoTime() - start;
                    done.complete();
                  }
                });
          }
        });
    done.future().await(seconds + 30L, TimeUnit.SECONDS);
    latencies.addAll(local);
  }

  private static void step(
      HttpClient client, RequestOptions options, long end, List<Long> out, Runnable finished) {
    if (System.nanoTime() >= end) {
      finished.run();
      return;
    }
    long start = System.nanoTime();
    one(client, options)
        .onComplete(
            r -> {
              if (r.succeeded()) {
                out.add(System.nanoTime() - start);
              }
              step(client, options, end, out, finished);
            });
  }

  /** docker create + start of {@code image}, then GET /up every probe interval until 200. */
  private double baselineStartMs(String image) throws Exception {
    DockerClient docker = DockerEngine.client();
    long start = System.nanoTime();
    ExposedPort port = ExposedPort.tcp(BusyboxImages.HTTP_PORT);
    Ports bindings = new Ports();
    bindings.bind(port, Ports.Binding.bindIp("127.0.0.1"));
    String id =
        docker
            .createContainerCmd(image)
            .withName(DockerEngine.randomName("slipway-bench-baseline"))
            .withExposedPorts(port)
            .withHostConfig(HostConfig.newHostConfig().withPortBindings(bindings))
            .exec()
            .getId();
    try {
      docker.startContainerCmd(id).exec();
      String hostPort =
          docker
              .inspectContainerCmd(id)
              .exec()
              .getNetworkSettings()
              .getPorts()
              .getBindings()
              .get(port)[0]
              .getHostPortSpec();
      URI up = URI.create("http://127.0.0.1:" + hostPort + "/up");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        try {
          HttpResponse<String> r =
              rest.send(
                  HttpRequest.newBuilder(up).timeout(Duration.ofSeconds(1)).build(),
                  HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return (System.nanoTime() - start) / 1e6;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(PROBE_INTERVAL_MS);
      }
      throw new IllegalStateException("baseline container did not answer /up in 30 s");
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  private String deploy(String image) throws Exception {
    JsonObject body =
        new JsonObject()
            .put("image", image)
            .put("port", BusyboxImages.HTTP_PORT)
            .put(
                "health",
                new JsonObject()
                    .put("path", "/up")
                    .put("interval", PROBE_INTERVAL_MS + "ms")
                    .put("timeout", "1s"));
    HttpResponse<String> r = send("POST", "/api/v1/apps/" + app + "/deployments", body);
    if (r.statusCode() != 202) {
      throw new IllegalStateException("deploy refused: " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body()).getString("id");
  }

  private JsonObject appView() throws Exception {
    HttpResponse<String> r = send("GET", "/api/v1/apps/" + app, null);
    return r.statusCode() == 200 ? new JsonObject(r.body()) : new JsonObject();
  }

  /** Polls until the app hash names {@code id} as the live deployment; answers that moment. */
  private long awaitLive(String id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (id.equals(appView().getString("live_deployment"))) {
        return System.nanoTime();
      }
      Thread.sleep(10);
    }
    throw new IllegalStateException("deployment " + id + " not live in " + timeout);
  }

  /** Polls until the deployment has finished (old container removed); answers that moment. */
  private long awaitSucceeded(String id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String path = "/api/v1/apps/" + app + "/deployments/" + id;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = send("GET", path, null);
      if (r.statusCode() == 200) {
        String status = new JsonObject(r.body()).getString("status");
        if ("succeeded".equals(status)) {
          return System.nanoTime();
        }
        if (!"running".equals(status)) {
          throw new IllegalStateException("deployment " + id + " ended " + r.body());
        }
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("deployment " + id + " not finished in " + timeout);
  }

  private HttpResponse<String> send(String method, String path, JsonObject body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(platform.uri(path))
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + Platform.TOKEN);
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return rest.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
