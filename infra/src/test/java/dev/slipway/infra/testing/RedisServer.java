package dev.slipway.infra.testing;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The Redis server every test in this JVM shares.
 *
 * <p>{@code REDIS_URL} wins when set. Otherwise Debian's {@code redis-server} starts once per JVM
 * on a free loopback port, without persistence, in its own temp dir, and stops at JVM exit. Tests
 * keep apart by putting every key under their own {@link #randomKeyPrefix()}.
 */
public final class RedisServer {

  static final String MISSING =
      "redis-server not found: run `infra/slipway setup` (installs Debian's redis-server)";
  private static final Duration START_DEADLINE = Duration.ofSeconds(15);

  private static String url;

  private RedisServer() {}

  /** {@code redis://127.0.0.1:<port>}, starting the server on first use. */
  public static synchronized String url() {
    if (url == null) {
      String fromEnv = System.getenv("REDIS_URL");
      if (fromEnv != null && !fromEnv.isBlank()) {
        url = fromEnv;
      } else {
        Instance shared = start();
        FixtureSupport.atExit("slipway-redis-stop", shared::close);
        url = shared.url();
      }
    }
    return url;
  }

  /**
   * A Redis server of the caller's own, for tests that stop or restart Redis; close it when done.
   */
  public static Instance startPrivate() {
    return start();
  }

  /** One running {@code redis-server} process. */
  public static final class Instance implements AutoCloseable {
    private Process process;
    private final Path dir;
    private final int port;

    private Instance(Process process, Path dir, int port) {
      this.process = process;
      this.dir = dir;
      this.port = port;
    }

    public String url() {
      return "redis://127.0.0.1:" + port;
    }

    public int port() {
      return port;
    }

    /**
     * Stops the server and starts a new one on the same port, empty (no persistence): what clients
     * see when Redis restarts without its data.
     */
    public synchronized void restart() {
      stop();
      Process next = launch(dir, port);
      if (next == null) {
        throw new IllegalStateException(
            "redis-server did not come back on 127.0.0.1:" + port + "; log in " + dir);
      }
      process = next;
    }

    /** Stops the server, as a crash or an operator would; {@link #close()} also cleans up. */
    public void stop() {
      FixtureSupport.stop(process, Duration.ofSeconds(5));
    }

    @Override
    public void close() {
      stop();
      FixtureSupport.deleteRecursively(dir);
    }
  }

  /** A fresh {@code test-<random>:} prefix for one test's keys. */
  public static String randomKeyPrefix() {
    return "test-" + FixtureSupport.randomSuffix() + ":";
  }

  private static Instance start() {
    Path dir = FixtureSupport.tempDir("slipway-redis-");
    // A free port can be taken between probing and binding: try a few.
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = FixtureSupport.freeLoopbackPort();
      Process process = launch(dir, port);
      if (process != null) {
        return new Instance(process, dir, port);
      }
    }
    throw new IllegalStateException(
        "redis-server did not answer PING within " + START_DEADLINE + "; logs in " + dir);
  }

  /** Starts redis-server on {@code port}; null when it does not answer PING in time. */
  private static Process launch(Path dir, int port) {
    Path executable = FixtureSupport.executable("redis-server", MISSING);
    Process process;
    try {
      process =
          new ProcessBuilder(
                  executable.toString(),
                  "--bind",
                  "127.0.0.1",
                  "--port",
                  Integer.toString(port),
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--daemonize",
                  "no",
                  "--dir",
                  dir.toString())
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(dir.resolve("redis-" + port + ".log").toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("could not run " + executable, e);
    }
    try {
      await("redis-server PING on 127.0.0.1:" + port)
          .atMost(START_DEADLINE)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> !process.isAlive() || ping(port));
    } catch (ConditionTimeoutException e) {
      // Judged below.
    }
    if (process.isAlive() && ping(port)) {
      return process;
    }
    FixtureSupport.stop(process, Duration.ofSeconds(2));
    return null;
  }

  private static boolean ping(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      return "+PONG".equals(in.readLine());
    } catch (IOException notYet) {
      return false;
    }
  }
}
