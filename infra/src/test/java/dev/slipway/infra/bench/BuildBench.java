package dev.slipway.infra.bench;

import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildLog;
import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.Topics;
import dev.slipway.infra.json.IsoInstants;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.kafka.KafkaClients;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.GitServer;
import dev.slipway.infra.testing.RedisServer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * {@code infra/slipway bench build}: Slipway's build pipeline against doing the same by hand, in
 * the same run.
 *
 * <ol>
 *   <li>Build time, POST to the succeeded event on Kafka, against {@code git clone --depth 1} +
 *       {@code DOCKER_BUILDKIT=0 docker build} of the same repository, alternating; each build gets
 *       a fresh commit so neither side builds from cache past the first layer.
 *   <li>Log latency from the builder's timestamp of a line to its arrival at an SSE client, for a
 *       build printing 10,000 lines.
 *   <li>50 builds queued at once at concurrency 2: all complete, throughput, platform memory.
 * </ol>
 */
public final class BuildBench {

  private static final int ROUNDS = Integer.getInteger("bench.rounds", 20);
  private static final int QUEUED = Integer.getInteger("bench.queued", 50);
  private static final int LOG_LINES = Integer.getInteger("bench.logLines", 10_000);

  /**
   * Lines per second of the paced log builds: the first is the headline, the others show up to what
   * rate the live path keeps up on this machine. A paced build prints a group of lines as fast as
   * it can, then sleeps, 50 times a second (groups of 20 lines at least): a shell's sleep is too
   * coarse to pace single lines, and builds print in spurts anyway.
   */
  private static final List<Integer> LOG_RATES =
      Arrays.stream(System.getProperty("bench.logRates", "1000,5000,20000,50000").split(","))
          .map(String::trim)
          .map(Integer::valueOf)
          .toList();

  /**
   * At most this many log builds run first, until the JIT compiler's share of the platform's CPU
   * during one falls under {@link #JIT_SETTLED}: a platform that has run a while has compiled its
   * log path (and the embedded broker's), a JVM a minute old is still compiling them.
   */
  private static final int LOG_WARMUPS = Integer.getInteger("bench.logWarmups", 40);

  /** Bursts measured: how fast the shell prints one varies (0.1–0.6 s), so one is not enough. */
  private static final int BURSTS = Integer.getInteger("bench.bursts", 5);

  /**
   * Builds of the timed kind that run before the timed rounds. The log builds run the clone and
   * build path too, but 40 of them in, the JIT still compiled 200–500 ms per build (its long tail
   * of JGit, docker-java and Kafka client code), about 100 ms after 20 more (22–30% of the
   * platform's CPU during the timed builds, in three full runs); and on these two vCPUs any CPU
   * beside a build slows it, even at nice 19: a nice-19 busy loop made {@code docker build} by hand
   * 10% slower. The first build after start is reported too, and the JIT's share of the platform's
   * CPU during the timed builds.
   */
  private static final int BUILD_WARMUPS = Integer.getInteger("bench.buildWarmups", 20);

  private static final double JIT_SETTLED =
      Double.parseDouble(System.getProperty("bench.jitSettled", "0.15"));

  // In a log event's data: the line's time, and the text the bench's log build prints.
  private static final String TIME_FIELD = "\"time\":\"";
  private static final String LINE_TEXT = "\"text\":\"line ";

  /**
   * {@code -Dbench.verbose=true}: each build's timeline and the platform's CPU per thread kind, and
   * the latency split at Kafka (line read → batch sent), for which the bench reads the log topic
   * too; without it only the split at Redis is reported, which costs nothing to measure.
   */
  private static final boolean VERBOSE = Boolean.getBoolean("bench.verbose");

  // For submitting builds; the log stream is read with SseSocket.
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Map<String, BuildEvent> terminal = new ConcurrentHashMap<>();
  private final Map<String, Long> terminalAtNanos = new ConcurrentHashMap<>();
  private final Map<String, List<Double>> toKafka = new ConcurrentHashMap<>();
  private final Map<String, Integer> batches = new ConcurrentHashMap<>();

  /** With {@link #VERBOSE}: each build's events as step@epoch-ms, to see where time goes. */
  private final Map<String, List<String>> timeline = new ConcurrentHashMap<>();

  /** Every build this run submitted: their images go at the end, tagged or not any more. */
  private final List<String> builds = Collections.synchronizedList(new ArrayList<>());

  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private final String image = "slipway-bench/app-" + run;
  private Platform platform;

  public static void main(String[] args) throws Exception {
    new BuildBench().runAll();
    System.exit(0);
  }

  private void runAll() throws Exception {
    DockerEngine.require();
    String base = "slipway-bench/base-" + run + ":latest";
    BusyboxImages.build(base, List.of(), Map.of());
    AtomicBoolean following = new AtomicBoolean(true);
    try (GitServer git = GitServer.start();
        Platform started = Platform.start(RedisServer.url(), Map.of())) {
      platform = started;
      Thread events = Thread.ofVirtual().start(() -> followEvents(following));
      GitServer.Repo repo = git.createRepo("bench-" + run);
      repo.write(
          "app/Dockerfile",
          String.join(
              "\n",
              "FROM " + base,
              "ARG RUN_ID=0",
              "COPY stamp.txt /stamp.txt",
              "RUN i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo counted $i",
              "RUN mkdir -p /srv && cp /stamp.txt /srv/ && ls -l /srv",
              "RUN echo built $RUN_ID > /srv/built",
              ""));
      repo.write(
          "logs/Dockerfile",
          String.join(
              "\n",
              "FROM " + base,
              "COPY stamp.txt /stamp.txt",
              "ARG PAUSE_US=0",
              "ARG GROUP=20",
              "RUN i=1; while [ $i -le "
                  + LOG_LINES
                  + " ]; do echo line $i; i=$((i+1)); if [ $PAUSE_US -gt 0 ] && [ $((i % GROUP)) -eq 0 ];"
                  + " then usleep $PAUSE_US; fi; done",
              ""));
      repo.write("app/stamp.txt", "0").write("logs/stamp.txt", "0").commit("bench repo");

      List<Double> slipway = new ArrayList<>();
      List<Double> manual = new ArrayList<>();
      // The first build after start: the JIT has compiled little of the build path yet.
      double firstBuild = timedBuild(repo, "first").seconds();
      int warmups = 0;
      double jitShare = 1;
      while (warmups < LOG_WARMUPS && jitShare >= JIT_SETTLED) {
        jitShare = logLatency(repo, 0).jitShare();
        warmups++;
      }
      System.out.printf(
          "warm-up: %d log builds; JIT compiler share of the platform's CPU in the last: %.0f%%%n",
          warmups, jitShare * 100);
      if ("logs".equals(System.getProperty("bench.only"))) {
        printLogLatency(bursts(repo), paced(repo));
        following.set(false);
        events.join(5_000);
        return;
      }
      for (int build = 1; build <= BUILD_WARMUPS; build++) {
        timedBuild(repo, "warm-up-" + build);
      }
      List<Double> labelled = new ArrayList<>();
      long timedCpuMs = 0;
      long timedJitMs = 0;
      for (int round = 1; round <= ROUNDS; round++) {
        Timed timed = timedBuild(repo, "s" + round);
        slipway.add(timed.seconds());
        timedCpuMs += timed.cpuMs();
        timedJitMs += timed.jitMs();
        manual.add(manualBuild(repo, "m" + round, false));
        labelled.add(manualBuild(repo, "l" + round, true));
      }
      if ("time".equals(System.getProperty("bench.only"))) {
        System.out.printf(
            "build time median %.2f s vs %.2f s = %.2f; labelled by hand %.2f s; first build %.2f s;"
                + " JIT %.0f%% of the platform's CPU in the timed builds"
                + " (slipway %s, manual %s, labelled %s)%n",
            Stats.median(slipway),
            Stats.median(manual),
            Stats.median(slipway) / Stats.median(manual),
            Stats.median(labelled),
            firstBuild,
            jitPercent(timedJitMs, timedCpuMs),
            slipway,
            manual,
            labelled);
        following.set(false);
        events.join(5_000);
        return;
      }
      Latencies burst = bursts(repo);
      List<Latencies> paced = paced(repo);
      Latencies logs = paced.getFirst();
      List<Double> latencies = logs.total();
      Queued queued = queuedBuilds(repo);

      double ratio = Stats.median(slipway) / Stats.median(manual);
      Stats.print(
          "bench build — "
              + ROUNDS
              + " alternating rounds, "
              + LOG_LINES
              + " log lines, "
              + QUEUED
              + " queued builds ("
              + Runtime.getRuntime().availableProcessors()
              + " cores)",
          List.of("metric", "slipway", "baseline", "ratio", "target"),
          concat(
              List.of(
                  List.of(
                      "build time median, s (POST→succeeded vs clone+docker build)",
                      Stats.f(Stats.median(slipway), 2),
                      Stats.f(Stats.median(manual), 2),
                      Stats.f(ratio, 2),
                      "≤ 1.10"),
                  List.of(
                      "  baseline with the label Slipway adds (--label dev.slipway.build=…)",
                      Stats.f(Stats.median(slipway), 2),
                      Stats.f(Stats.median(labelled), 2),
                      Stats.f(Stats.median(slipway) / Stats.median(labelled), 2),
                      ""),
                  List.of(
                      "  the timed builds follow "
                          + BUILD_WARMUPS
                          + " warm-up builds; the JIT's share of the platform's CPU in them, %",
                      Stats.f(jitPercent(timedJitMs, timedCpuMs), 0),
                      "",
                      "",
                      ""),
                  List.of(
                      "  first build after start, s",
                      Stats.f(firstBuild, 2),
                      Stats.f(Stats.median(manual), 2),
                      Stats.f(firstBuild / Stats.median(manual), 2),
                      ""),
                  List.of(
                      "build time p90, s",
                      Stats.f(Stats.percentile(slipway, 90), 2),
                      Stats.f(Stats.percentile(manual, 90), 2),
                      Stats.f(Stats.percentile(slipway, 90) / Stats.percentile(manual, 90), 2),
                      ""),
                  List.of(
                      "log latency p50 / p99, ms: "
                          + LOG_RATES.getFirst()
                          + " lines/s (builder line → SSE)",
                      p50p99(latencies),
                      "",
                      "",
                      "p99 ≤ 50"),
                  List.of(
                      "  of which line read → batch sent to Kafka, p50 / p99 ms",
                      VERBOSE ? p50p99(logs.toKafka()) : "(with -Dbench.verbose)",
                      "",
                      "",
                      ""),
                  List.of(
                      "  of which builder → Redis, p50 / p99 ms",
                      p50p99(logs.toRedis()),
                      "",
                      "",
                      "")),
              pacedRows(paced),
              List.of(
                  List.of(
                      "log latency p50 / p99, ms: "
                          + BURSTS
                          + " bursts ("
                          + LOG_LINES
                          + " lines printed in "
                          + printedOver(burst)
                          + " ms)",
                      p50p99(burst.total()),
                      "",
                      "",
                      "p99 ≤ 50"),
                  List.of(
                      "  of which builder → Redis, p50 / p99 ms",
                      p50p99(burst.toRedis()),
                      "",
                      "",
                      ""),
                  List.of(
                      QUEUED + " queued builds: completed / failed",
                      queued.succeeded + " / " + queued.failed,
                      "",
                      "",
                      "all"),
                  List.of(
                      QUEUED + " queued builds: wall time, s",
                      Stats.f(queued.seconds, 1),
                      Stats.f(Stats.median(manual) * QUEUED / 2, 1),
                      Stats.f(queued.seconds / (Stats.median(manual) * QUEUED / 2), 2),
                      ""),
                  List.of(
                      QUEUED + " queued builds: throughput, builds/min",
                      Stats.f(QUEUED / queued.seconds * 60, 1),
                      "",
                      "",
                      ""),
                  List.of(
                      "platform RSS idle → after queue, MiB (peak)",
                      queued.rssBeforeKb / 1024
                          + " → "
                          + queued.rssAfterKb / 1024
                          + " ("
                          + queued.peakKb / 1024
                          + ")",
                      "",
                      "",
                      ""))));
      System.out.println(
          "baseline for queued wall time: the manual median × builds ÷ 2 (two at a time).");
      following.set(false);
      events.join(5_000);
    } finally {
      removeImages(base);
    }
  }

  /** Seconds from POST to the succeeded event, and the platform's CPU meanwhile, all and JIT. */
  private record Timed(double seconds, long cpuMs, long jitMs) {}

  /** Seconds from POST to the succeeded event of a build of a fresh commit. */
  private Timed timedBuild(GitServer.Repo repo, String label) throws Exception {
    repo.write("app/stamp.txt", label + "-" + System.nanoTime()).commit(label);
    long platformCpu = platform.cpuMs();
    Map<String, Long> threadsBefore = platform.cpuByThreadMs();
    long start = System.nanoTime();
    long startMs = System.currentTimeMillis();
    String id = post(repo.url(), "main", "app", label);
    BuildEvent result = awaitTerminal(id, Duration.ofMinutes(5));
    if (!(result instanceof BuildEvent.BuildSucceeded)) {
      throw new IllegalStateException("build " + id + " did not succeed: " + result);
    }
    long cpuMs = platform.cpuMs() - platformCpu;
    long jitMs = compilerMs(threadsBefore, platform.cpuByThreadMs());
    if (VERBOSE) {
      System.out.println(
          "build "
              + label
              + ": "
              + timeline.getOrDefault(id, List.of()).stream()
                  .map(
                      step -> {
                        int at = step.lastIndexOf('@');
                        return step.substring(0, at)
                            + " +"
                            + (Long.parseLong(step.substring(at + 1)) - startMs);
                      })
                  .collect(Collectors.joining(", "))
              + "; platform CPU "
              + cpuMs
              + " ms, of which JIT "
              + jitMs
              + " ms");
    }
    return new Timed((terminalAtNanos.get(id) - start) / 1e9, cpuMs, jitMs);
  }

  private static double jitPercent(long jitMs, long cpuMs) {
    return cpuMs == 0 ? 0 : 100.0 * jitMs / cpuMs;
  }

  /** CPU ms the platform's JIT compiler threads used from {@code before} to {@code after}. */
  private static long compilerMs(Map<String, Long> before, Map<String, Long> after) {
    return after.entrySet().stream()
        .filter(e -> e.getKey().contains("CompilerThre"))
        .mapToLong(e -> e.getValue() - before.getOrDefault(e.getKey(), 0L))
        .sum();
  }

  /**
   * Seconds for the same work by hand: a shallow clone and a classic docker build; {@code
   * withLabel} adds the {@code dev.slipway.build} label Slipway's images carry, which the classic
   * builder applies as one more step (a container created and committed).
   */
  private double manualBuild(GitServer.Repo repo, String label, boolean withLabel)
      throws Exception {
    repo.write("app/stamp.txt", label + "-" + System.nanoTime()).commit(label);
    Path dir = Files.createTempDirectory("slipway-bench-manual");
    long platformCpu = platform.cpuMs();
    Map<String, Long> threadsBefore = platform.cpuByThreadMs();
    try {
      long start = System.nanoTime();
      exec(
          List.of("git", "clone", "-q", "--depth", "1", repo.url(), dir.resolve("src").toString()));
      if (VERBOSE) {
        System.out.printf("manual %s: cloned +%.0f%n", label, (System.nanoTime() - start) / 1e6);
      }
      List<String> build =
          new ArrayList<>(List.of("docker", "build", "-q", "--build-arg", "RUN_ID=" + label));
      if (withLabel) {
        build.addAll(List.of("--label", "dev.slipway.build=b-manual-" + label));
      }
      build.addAll(List.of("-t", image + ":" + label, dir.resolve("src/app").toString()));
      exec(build);
      if (VERBOSE) {
        System.out.printf(
            "manual %s: built +%.0f; platform CPU %d ms, of which JIT %d ms%n",
            label,
            (System.nanoTime() - start) / 1e6,
            platform.cpuMs() - platformCpu,
            compilerMs(threadsBefore, platform.cpuByThreadMs()));
      }
      return (System.nanoTime() - start) / 1e9;
    } finally {
      exec(List.of("rm", "-rf", dir.toString()));
    }
  }

  /** Per-line latency in ms: builder to SSE client, and the builder→Redis part of it. */
  private record Latencies(
      List<Double> total,
      List<Double> toRedis,
      List<Double> toKafka,
      List<Double> producedOverMs,
      int batches,
      double jitShare) {}

  /** One log build at each of {@link #LOG_RATES}, in order. */
  private List<Latencies> paced(GitServer.Repo repo) throws Exception {
    List<Latencies> runs = new ArrayList<>();
    for (int rate : LOG_RATES) {
      runs.add(logLatency(repo, rate));
    }
    return runs;
  }

  /**
   * A row per paced build after the headline one. Its rate is what the build asked for; the shell
   * prints slower than asked at high rates, so the row says how long it really took.
   */
  private static List<List<String>> pacedRows(List<Latencies> paced) {
    List<List<String>> rows = new ArrayList<>();
    for (int i = 1; i < paced.size(); i++) {
      Latencies logs = paced.get(i);
      rows.add(
          List.of(
              "  paced, asked "
                  + LOG_RATES.get(i)
                  + " lines/s: "
                  + LOG_LINES
                  + " lines in "
                  + printedOver(logs)
                  + " ms = "
                  + printedRate(logs)
                  + " lines/s, p50 / p99 ms",
              p50p99(logs.total()),
              "",
              "",
              ""));
    }
    return rows;
  }

  @SafeVarargs
  private static <T> List<T> concat(List<T>... parts) {
    return Arrays.stream(parts).flatMap(List::stream).toList();
  }

  /** {@link #BURSTS} burst builds, their lines taken together. */
  private Latencies bursts(GitServer.Repo repo) throws Exception {
    List<Latencies> runs = new ArrayList<>();
    for (int i = 0; i < BURSTS; i++) {
      Latencies run = logLatency(repo, 0);
      runs.add(run);
      System.out.printf(
          "burst %d: printed over %s ms, builder line → SSE client p50 / p99 %s ms%n",
          i + 1, printedOver(run), p50p99(run.total()));
    }
    return new Latencies(
        runs.stream().flatMap(r -> r.total().stream()).toList(),
        runs.stream().flatMap(r -> r.toRedis().stream()).toList(),
        runs.stream().flatMap(r -> r.toKafka().stream()).toList(),
        runs.stream().flatMap(r -> r.producedOverMs().stream()).toList(),
        runs.stream().mapToInt(Latencies::batches).sum(),
        runs.getLast().jitShare());
  }

  /** How long the shell took to print a build's lines: one time, or the median and range. */
  private static String printedOver(Latencies logs) {
    List<Double> over = logs.producedOverMs();
    if (over.size() == 1) {
      return Stats.f(over.getFirst(), 0);
    }
    return Stats.f(Stats.median(over), 0)
        + " ("
        + Stats.f(Collections.min(over), 0)
        + "–"
        + Stats.f(Collections.max(over), 0)
        + ")";
  }

  /** Lines per second a build really printed at, from its first line to its last. */
  private static String printedRate(Latencies logs) {
    return Stats.f(LOG_LINES / (Stats.median(logs.producedOverMs()) / 1000), 0);
  }

  /** {@code -Dbench.only=logs}: the log latency section alone, for working on it. */
  private static void printLogLatency(Latencies burst, List<Latencies> paced) {
    List<List<String>> rows = new ArrayList<>();
    for (int i = -1; i < paced.size(); i++) {
      Latencies logs = i < 0 ? burst : paced.get(i);
      String name =
          i < 0
              ? BURSTS + " bursts: "
              : "paced, asked " + LOG_RATES.get(i) + " (" + printedRate(logs) + ") lines/s: ";
      rows.add(row(name + "builder line → SSE client", logs.total()));
      if (VERBOSE) {
        rows.add(row("  line read → batch sent to Kafka", logs.toKafka()));
      }
      rows.add(row("  builder → Redis", logs.toRedis()));
      rows.add(List.of("  lines printed over, ms", printedOver(logs), "", ""));
      if (VERBOSE) {
        rows.add(List.of("  Kafka batches", String.valueOf(logs.batches()), "", ""));
      }
    }
    Stats.print(
        "bench build — log latency only, "
            + LOG_LINES
            + " lines as fast as the shell prints them ("
            + BURSTS
            + " bursts), then paced",
        List.of("metric", "p50 ms", "p99 ms", "max ms"),
        rows);
  }

  /** "p50 / p99" of {@code values}, in ms with one decimal. */
  private static String p50p99(List<Double> values) {
    return Stats.f(Stats.percentile(values, 50), 1)
        + " / "
        + Stats.f(Stats.percentile(values, 99), 1);
  }

  private static List<String> row(String name, List<Double> values) {
    return List.of(
        name,
        Stats.f(Stats.percentile(values, 50), 1),
        Stats.f(Stats.percentile(values, 99), 1),
        Stats.f(Stats.percentile(values, 100), 1));
  }

  /**
   * Per-line latency in ms from the builder's timestamp to this SSE client.
   *
   * @param rate lines per second the build prints at; 0 for as fast as the shell can
   */
  private Latencies logLatency(GitServer.Repo repo, int rate) throws Exception {
    repo.write("logs/stamp.txt", "logs-" + System.nanoTime()).commit("logs");
    long dockerd = Long.parseLong(Files.readString(Path.of("/var/run/docker.pid")).trim());
    long platformCpu = platform.cpuMs();
    Map<String, Long> threadsBefore = platform.cpuByThreadMs();
    long startedMs = System.currentTimeMillis();
    long dockerdCpu = Platform.cpuMs(dockerd);
    int group = Math.max(20, rate / 50);
    String pause = rate > 0 ? String.valueOf(group * 1_000_000L / rate) : "0";
    String id =
        post(
            repo.url(),
            "main",
            "logs",
            "logs",
            Map.of("PAUSE_US", pause, "GROUP", String.valueOf(group)));
    List<Double> latencies = new ArrayList<>();
    // The SSE id is the Redis stream id, whose first part is when the reconciler appended the
    // line: it splits the latency into builder→Kafka→reconciler→Redis and Redis→gateway→client.
    List<Double> toRedis = new ArrayList<>();
    Instant first = null;
    Instant last = null;
    String traceFile = System.getProperty("bench.logTrace");
    StringBuilder trace = traceFile == null ? null : new StringBuilder();
    try (SseSocket reader =
        SseSocket.open(
            platform.uri("/api/v1/builds/" + id + "/logs?access_token=" + Platform.TOKEN))) {
      String event = null;
      long appendedMs = 0;
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("id:")) {
          String streamId = line.substring(3).trim();
          appendedMs = Long.parseLong(streamId.substring(0, streamId.indexOf('-')));
        } else if (line.startsWith("data:") && "log".equals(event)) {
          Instant now = Instant.now();
          // The two fields by position rather than through a JSON tree: this client shares the 2
          // cores with the platform it measures, and a burst is 10,000 events in half a second.
          int time = line.indexOf(TIME_FIELD);
          if (time > 0 && line.contains(LINE_TEXT)) {
            int from = time + TIME_FIELD.length();
            Instant at = IsoInstants.parse(line.substring(from, line.indexOf('"', from)));
            first = first == null ? at : first;
            last = at;
            latencies.add(Duration.between(at, now).toNanos() / 1e6);
            toRedis.add(appendedMs - at.toEpochMilli() + 0.0);
            if (trace != null) {
              trace
                  .append(at.toEpochMilli() % 100_000)
                  .append(' ')
                  .append(appendedMs - at.toEpochMilli())
                  .append(' ')
                  .append(latencies.getLast())
                  .append('\n');
            }
          }
        } else if (line.startsWith("data:") && "status".equals(event)) {
          break;
        }
      }
    }
    if (latencies.size() < LOG_LINES) {
      throw new IllegalStateException(
          "SSE delivered " + latencies.size() + " of " + LOG_LINES + " lines");
    }
    if (trace != null) {
      // Each line: when it was read (ms, mod 100 s), builder → Redis ms, builder → client ms.
      Files.writeString(
          Path.of(traceFile),
          "# " + id + (rate > 0 ? " paced\n" : " burst\n") + trace,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
    Map<String, Long> threadsAfter = platform.cpuByThreadMs();
    long compilerMs = compilerMs(threadsBefore, threadsAfter);
    long usedMs = platform.cpuMs() - platformCpu;
    if (VERBOSE) {
      // Where the platform's CPU went during this build, by thread kind: the JIT compiler, event
      // loops, virtual-thread carriers (consumer loops), the embedded broker.
      System.out.printf("log build %s → %s%n", Instant.ofEpochMilli(startedMs), Instant.now());
      threadsAfter.entrySet().stream()
          .map(
              e -> Map.entry(e.getKey(), e.getValue() - threadsBefore.getOrDefault(e.getKey(), 0L)))
          .filter(e -> e.getValue() >= 20)
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(e -> System.out.printf("  %6d ms  %s%n", e.getValue(), e.getKey()));
      System.out.printf(
          "CPU during the log build: platform %d ms, dockerd %d ms%n",
          usedMs, Platform.cpuMs(dockerd) - dockerdCpu);
    }
    return new Latencies(
        latencies,
        toRedis,
        toKafka.getOrDefault(id, List.of()),
        List.of(Duration.between(first, last).toNanos() / 1e6),
        batches.getOrDefault(id, 0),
        usedMs == 0 ? 0 : compilerMs / (double) usedMs);
  }

  private record Queued(
      int succeeded, int failed, double seconds, long rssBeforeKb, long rssAfterKb, long peakKb) {}

  private Queued queuedBuilds(GitServer.Repo repo) throws Exception {
    List<String> refs = new ArrayList<>();
    for (int i = 1; i <= QUEUED; i++) {
      String tag = "q" + i;
      repo.write("app/stamp.txt", tag + "-" + System.nanoTime()).commit(tag);
      repo.tag(tag);
      refs.add(tag);
    }
    long rssBefore = platform.memoryKb().get("VmRSS");
    long start = System.nanoTime();
    List<String> ids = new ArrayList<>();
    for (String ref : refs) {
      ids.add(post(repo.url(), ref, "app", ref));
    }
    int succeeded = 0;
    int failed = 0;
    long last = start;
    for (String id : ids) {
      BuildEvent result = awaitTerminal(id, Duration.ofMinutes(15));
      last = Math.max(last, terminalAtNanos.get(id));
      if (result instanceof BuildEvent.BuildSucceeded) {
        succeeded++;
      } else {
        failed++;
        System.out.println("queued build " + id + " ended " + result);
      }
    }
    Map<String, Long> memory = platform.memoryKb();
    return new Queued(
        succeeded,
        failed,
        (last - start) / 1e9,
        rssBefore,
        memory.get("VmRSS"),
        memory.get("VmHWM"));
  }

  private String post(String repository, String ref, String context, String tag) throws Exception {
    return post(repository, ref, context, tag, Map.of("RUN_ID", tag));
  }

  private String post(
      String repository, String ref, String context, String tag, Map<String, String> buildArgs)
      throws Exception {
    String body =
        Json.toString(
            Map.of(
                "repository", repository,
                "ref", ref,
                "context", context,
                "image", image,
                "tags", List.of(tag),
                "build_args", buildArgs));
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(platform.uri("/api/v1/builds"))
                .header("authorization", "Bearer " + Platform.TOKEN)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException(
          "POST /api/v1/builds → " + response.statusCode() + " " + response.body());
    }
    String id = Json.mapper().readTree(response.body()).path("id").asText();
    builds.add(id);
    return id;
  }

  private BuildEvent awaitTerminal(String id, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (terminal) {
      while (!terminal.containsKey(id)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("build " + id + " did not end within " + timeout);
        }
        TimeUnit.NANOSECONDS.timedWait(terminal, left);
      }
      return terminal.get(id);
    }
  }

  private void followEvents(AtomicBoolean following) {
    Map<String, Object> props =
        KafkaClients.consumer(platform.kafka(), "bench-" + run, "bench-" + run);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      // The log topic only for the per-stage breakdown: decoding every log batch here (and the
      // broker serving a second reader of it) takes CPU from the platform under test.
      consumer.subscribe(
          VERBOSE
              ? List.of(Topics.BUILD_EVENTS.name(), Topics.BUILD_LOGS.name())
              : List.of(Topics.BUILD_EVENTS.name()));
      while (following.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
          long now = System.nanoTime();
          if (record.topic().equals(Topics.BUILD_LOGS.name())) {
            // The record's CreateTime is when the builder handed the batch to its producer.
            CloudEvent<BuildLog> batch = CloudEventCodec.decode(Topics.BUILD_LOGS, record);
            if (batch.data() instanceof BuildLog.BuildLogBatch logs) {
              List<Double> mine = toKafka.computeIfAbsent(record.key(), k -> new ArrayList<>());
              batches.merge(record.key(), 1, Integer::sum);
              logs.lines()
                  .forEach(l -> mine.add(record.timestamp() - l.time().toEpochMilli() + 0.0));
            }
            continue;
          }
          CloudEvent<BuildEvent> event = CloudEventCodec.decode(Topics.BUILD_EVENTS, record);
          if (event != null && VERBOSE) {
            String step =
                event.data() instanceof BuildEvent.BuildPhaseChanged p
                    ? p.phase().wire()
                    : event.data().getClass().getSimpleName();
            timeline
                .computeIfAbsent(record.key(), k -> new CopyOnWriteArrayList<>())
                .add(step + "@" + event.time().toEpochMilli());
          }
          if (event != null && event.data().terminal()) {
            terminalAtNanos.put(record.key(), now);
            synchronized (terminal) {
              terminal.put(record.key(), event.data());
              terminal.notifyAll();
            }
          }
        }
      }
    }
  }

  private void removeImages(String base) {
    var docker = DockerEngine.client();
    docker
        .listImagesCmd()
        .withReferenceFilter(image)
        .exec()
        .forEach(i -> docker.removeImageCmd(i.getId()).withForce(true).exec());
    // A tag built again (the log builds) leaves the previous image untagged but still labelled.
    for (String id : List.copyOf(builds)) {
      docker
          .listImagesCmd()
          .withLabelFilter(Map.of(Labels.BUILD, id))
          .exec()
          .forEach(i -> docker.removeImageCmd(i.getId()).withForce(true).exec());
    }
    BusyboxImages.remove(base);
  }

  private static void exec(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("DOCKER_BUILDKIT", "0");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
    }
  }
}
