package dev.slipway.infra.testing;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.AuthConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real image registry on loopback: Debian's {@code docker-registry} (distribution 2.x) with
 * filesystem storage in a temp dir, optionally behind htpasswd basic auth.
 *
 * <p>The Docker engine treats registries on 127.0.0.0/8 as insecure, so it pushes to and pulls from
 * {@link #address()} over plain HTTP without any daemon configuration.
 */
public final class LocalRegistry implements AutoCloseable {

  private static final Duration START_DEADLINE = Duration.ofSeconds(20);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Path dir;
  private final Process process;
  private final int port;
  private final String username;
  private final String password;
  private final Thread cleanup;

  private LocalRegistry(Path dir, Process process, int port, String username, String password) {
    this.dir = dir;
    this.process = process;
    this.port = port;
    this.username = username;
    this.password = password;
    this.cleanup = FixtureSupport.atExit("slipway-registry-stop", this::stop);
  }

  /** A registry anyone can push to and pull from. */
  public static LocalRegistry start() {
    return start(null, null);
  }

  /** A registry that only answers requests carrying {@code username}:{@code password}. */
  public static LocalRegistry startWithAuth(String username, String password) {
    return start(username, password);
  }

  private static LocalRegistry start(String username, String password) {
    Path executable =
        FixtureSupport.executable(
            "docker-registry",
            "docker-registry not found: run `infra/slipway setup` (installs Debian's docker-registry)");
    Path dir = FixtureSupport.tempDir("slipway-registry-");
    try {
      if (username != null) {
        Files.writeString(
            dir.resolve("htpasswd"), htpasswdLine(username, password), StandardCharsets.UTF_8);
      }
      IllegalStateException failure = null;
      // A free port can be taken between probing and binding: try a few.
      for (int attempt = 0; attempt < 3; attempt++) {
        int port = FixtureSupport.freeLoopbackPort();
        Path config = dir.resolve("config-" + port + ".yml");
        Files.writeString(config, config(dir, port, username != null), StandardCharsets.UTF_8);
        Path log = dir.resolve("registry-" + port + ".log");
        ProcessBuilder builder =
            new ProcessBuilder(executable.toString(), "serve", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // REGISTRY_* variables would override the config file.
        builder.environment().keySet().removeIf(name -> name.startsWith("REGISTRY_"));
        Process process = builder.start();
        try {
          await("docker-registry GET /v2/ on 127.0.0.1:" + port)
              .atMost(START_DEADLINE)
              .pollInterval(Duration.ofMillis(100))
              .until(() -> !process.isAlive() || answers(port));
        } catch (ConditionTimeoutException e) {
          // Judged below.
        }
        if (process.isAlive() && answers(port)) {
          return new LocalRegistry(dir, process, port, username, password);
        }
        FixtureSupport.stop(process, Duration.ofSeconds(2));
        failure =
            new IllegalStateException(
                "docker-registry did not answer GET /v2/ on 127.0.0.1:"
                    + port
                    + " within "
                    + START_DEADLINE
                    + "; log:\n"
                    + Files.readString(log));
      }
      FixtureSupport.deleteRecursively(dir);
      throw failure;
    } catch (IOException e) {
      FixtureSupport.deleteRecursively(dir);
      throw new UncheckedIOException("could not start docker-registry", e);
    }
  }

  /** {@code 127.0.0.1:<port>}, the registry part of image names pushed here. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Credentials for docker-java push and pull: empty username and password when auth is off. */
  public AuthConfig authConfig() {
    AuthConfig auth = new AuthConfig().withRegistryAddress(address());
    return username == null ? auth : auth.withUsername(username).withPassword(password);
  }

  /** The username the registry accepts, when auth is on. */
  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  /** The password the registry accepts, when auth is on. */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  @Override
  public void close() {
    FixtureSupport.cancelAtExit(cleanup);
    stop();
  }

  private void stop() {
    FixtureSupport.stop(process, Duration.ofSeconds(5));
    FixtureSupport.deleteRecursively(dir);
  }

  private static String config(Path dir, int port, boolean auth) {
    String yaml =
        """
        version: 0.1
        log:
          level: warn
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: %s
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:%d
          secret: %s
        """
            .formatted(dir.resolve("storage"), port, FixtureSupport.randomSuffix());
    if (auth) {
      yaml +=
          """
          auth:
            htpasswd:
              realm: slipway-test-registry
              path: %s
          """
              .formatted(dir.resolve("htpasswd"));
    }
    return yaml;
  }

  /** The registry only reads bcrypt htpasswd entries; Debian's apache2-utils makes them. */
  private static String htpasswdLine(String username, String password) throws IOException {
    Path htpasswd =
        FixtureSupport.executable(
            "htpasswd", "htpasswd not found: run `infra/slipway setup` (installs apache2-utils)");
    // -i reads the password from stdin, so it never shows in the process list.
    Process process =
        new ProcessBuilder(htpasswd.toString(), "-niB", username)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (var stdin = process.getOutputStream()) {
      stdin.write((password + "\n").getBytes(StandardCharsets.UTF_8));
    }
    String line = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (process.waitFor() != 0 || !line.startsWith(username + ":$2")) {
        throw new IllegalStateException("htpasswd -niB failed for user " + username);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running htpasswd", e);
    }
    return line.strip() + "\n";
  }

  private static boolean answers(int port) {
    try {
      HttpResponse<Void> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/"))
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      // 401 is the answer of a registry with auth on: up and asking for credentials.
      return response.statusCode() == 200 || response.statusCode() == 401;
    } catch (IOException notYet) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
