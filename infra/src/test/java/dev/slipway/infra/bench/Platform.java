package dev.slipway.infra.bench;

import dev.slipway.infra.net.LoopbackPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole platform as a user runs it: the all-in-one JVM started as its own process (class path
 * from {@code -Dslipway.classpath}, which {@code infra/slipway bench} passes), with its embedded
 * broker, on free loopback ports. Benchmarks drive it only from the outside.
 */
final class Platform implements AutoCloseable {

  static final String TOKEN = "bench-token-0123456789abcdef";

  private final Process process;
  private final int httpPort;
  private final int kafkaPort;
  private final Path dataDir;

  private Platform(Process process, int httpPort, int kafkaPort, Path dataDir) {
    this.process = process;
    this.httpPort = httpPort;
    this.kafkaPort = kafkaPort;
    this.dataDir = dataDir;
  }

  static Platform start(String redisUrl, Map<String, String> extraEnv) throws Exception {
    String classpath = System.getProperty("slipway.classpath");
    if (classpath == null || classpath.isBlank()) {
      throw new IllegalStateException("run benchmarks through `infra/slipway bench <name>`");
    }
    int[] ports = LoopbackPorts.free(3);
    int httpPort = ports[0];
    int kafkaPort = ports[1];
    Path dataDir = Files.createTempDirectory("slipway-bench");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The options infra/slipway up runs the platform with.
    command.addAll(
        List.of(
            System.getProperty("bench.platform.gc", "-XX:+UseSerialGC"),
            "-Xms32m",
            "-Xmx512m",
            "-XX:CompileThresholdScaling=0.25",
            "-XX:SweeperThreshold=50",
            "--enable-native-access=ALL-UNNAMED"));
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("-XX:ThreadPriorityPolicy=1", "-XX:CompilerThreadPriority=19"));
    }
    // e.g. -Dbench.platform.jvm=-XX:StartFlightRecording=filename=/tmp/platform.jfr to profile it
    String extraJvm = System.getProperty("bench.platform.jvm", "");
    if (!extraJvm.isBlank()) {
      command.addAll(List.of(extraJvm.trim().split("\\s+")));
    }
    command.addAll(List.of("-cp", classpath));
    command.add("dev.slipway.infra.launcher.AllInOne");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dataDir.resolve("platform.log").toFile());
    Map<String, String> env = builder.environment();
    env.putAll(
        Map.of(
            "SLIPWAY_HTTP_PORT",
            String.valueOf(httpPort),
            "SLIPWAY_EDGE_PORT",
            String.valueOf(ports[2]),
            "SLIPWAY_EMBEDDED_KAFKA_PORT",
            String.valueOf(kafkaPort),
            "SLIPWAY_DATA_DIR",
            dataDir.toString(),
            "SLIPWAY_REDIS_URL",
            redisUrl,
            "SLIPWAY_API_TOKENS",
            TOKEN + ":write",
            "SLIPWAY_GIT_SCHEMES",
            "http,https",
            "SLIPWAY_LOG_LEVEL",
            "WARN"));
    env.putAll(extraEnv);
    Platform platform = new Platform(builder.start(), httpPort, kafkaPort, dataDir);
    platform.awaitHealthy(Duration.ofSeconds(90));
    return platform;
  }

  private void awaitHealthy(Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "platform exited: " + Files.readString(dataDir.resolve("platform.log")));
      }
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(uri("/health")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      process.waitFor(200, TimeUnit.MILLISECONDS);
    }
    throw new IllegalStateException("platform not healthy within " + timeout);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  String kafka() {
    return "127.0.0.1:" + kafkaPort;
  }

  /** CPU time (user + system) the platform process has used so far, in ms. */
  long cpuMs() {
    return cpuMs(process.pid());
  }

  /** CPU time (user + system) process {@code pid} has used so far, in ms. */
  static long cpuMs(long pid) {
    return cpuMs(Path.of("/proc", pid + "", "stat"));
  }

  private static long cpuMs(Path statFile) {
    try {
      String stat = Files.readString(statFile);
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second here)
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** CPU time per thread-name group (digits dropped) of the platform process so far, in ms. */
  Map<String, Long> cpuByThreadMs() {
    Map<String, Long> byName = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc", process.pid() + "", "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String name = Files.readString(task.resolve("comm")).trim().replaceAll("[0-9]+", "N");
          byName.merge(name, cpuMs(task.resolve("stat")), Long::sum);
        } catch (IOException | UncheckedIOException gone) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return byName;
  }

  /** Resident and peak resident memory of the platform process, in KiB. */
  Map<String, Long> memoryKb() {
    Map<String, Long> memory = new HashMap<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc", process.pid() + "", "status"))) {
        if (line.startsWith("VmRSS:") || line.startsWith("VmHWM:")) {
          memory.put(line.substring(0, 5), Long.parseLong(line.replaceAll("[^0-9]", "")));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return memory;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    // e.g. -Dbench.platform.log=/tmp/platform.log keeps the platform's log for a look afterwards
    String keepLog = System.getProperty("bench.platform.log", "");
    if (!keepLog.isBlank()) {
      Files.copy(
          dataDir.resolve("platform.log"),
          Path.of(keepLog),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    try (var paths = Files.walk(dataDir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
