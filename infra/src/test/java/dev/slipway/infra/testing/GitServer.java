package dev.slipway.infra.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;

/**
 * A real git server on loopback: git's own {@code git http-backend} (smart HTTP, protocol v0 and
 * v2, shallow fetches, gzip request bodies) behind the JDK's HTTP server, optionally behind basic
 * auth.
 *
 * <pre>{@code
 * try (GitServer git = GitServer.start()) {
 *   GitServer.Repo repo = git.createRepo("app");
 *   String sha = repo.write("Dockerfile", "FROM scratch\n").commit("first");
 *   builder.build(repo.url(), sha);
 * }
 * }</pre>
 *
 * Repositories are bare under a temp project root; each has a working clone the test writes and
 * commits in, and every commit, branch and tag is pushed to the bare repository at once.
 */
public final class GitServer implements AutoCloseable {

  private static final PersonIdent AUTHOR = new PersonIdent("Slipway Test", "test@slipway.dev");
  private static final String REALM = "slipway-test-git";

  private final Path dir;
  private final Path projectRoot;
  private final Path git;
  private final String username;
  private final String token;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpServer server;
  private final Thread cleanup;
  private final List<Git> workingClones = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final List<String> requests = new CopyOnWriteArrayList<>();

  private GitServer(String username, String token) {
    this.username = username;
    this.token = token;
    this.git =
        FixtureSupport.executable(
            "git", "git not found: run `infra/slipway setup` (installs Debian's git)");
    this.dir = FixtureSupport.tempDir("slipway-git-server-");
    this.projectRoot = dir.resolve("repos");
    try {
      Files.createDirectories(projectRoot);
      Files.createDirectories(dir.resolve("home"));
      Files.createDirectories(dir.resolve("work"));
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    } catch (IOException e) {
      FixtureSupport.deleteRecursively(dir);
      throw new UncheckedIOException("could not start the git server", e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    cleanup = FixtureSupport.atExit("slipway-git-server-stop", this::stop);
  }

  /** A server that lets anyone clone and push. */
  public static GitServer start() {
    return new GitServer(null, null);
  }

  /** A server that answers 401 unless the request carries {@code username}:{@code token}. */
  public static GitServer start(String username, String token) {
    return new GitServer(username, token);
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The credentials this server accepts, for JGit; empty when auth is off. */
  public Optional<CredentialsProvider> credentials() {
    return username == null
        ? Optional.empty()
        : Optional.of(new UsernamePasswordCredentialsProvider(username, token));
  }

  /**
   * Creates an empty repository served at {@code <baseUrl>/<name>.git}. {@code name} may contain
   * slashes ({@code acme/app}). The default branch is {@code main}.
   */
  public Repo createRepo(String name) {
    if (!name.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") || name.contains("..")) {
      throw new IllegalArgumentException("bad repository name: " + name);
    }
    Path bare = FixtureSupport.inside(projectRoot, name + ".git");
    Path work = FixtureSupport.inside(dir.resolve("work"), name);
    try {
      Git.init().setBare(true).setDirectory(bare.toFile()).setInitialBranch("main").call().close();
      try (Git bareGit = Git.open(bare.toFile())) {
        StoredConfig config = bareGit.getRepository().getConfig();
        // http-backend only accepts anonymous pushes when told to.
        config.setBoolean("http", null, "receivepack", true);
        config.save();
      }
      Git working = Git.init().setDirectory(work.toFile()).setInitialBranch("main").call();
      workingClones.add(working);
      return new Repo(name, bare, work, working);
    } catch (GitAPIException | IOException e) {
      throw new IllegalStateException("could not create repository " + name, e);
    }
  }

  @Override
  public void close() {
    FixtureSupport.cancelAtExit(cleanup);
    stop();
  }

  private void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    executor.shutdownNow();
    workingClones.forEach(Git::close);
    FixtureSupport.deleteRecursively(dir);
  }

  /**
   * Every request served so far, as {@code METHOD path?query} (e.g. {@code GET
   * /repo.git/info/refs?service=git-upload-pack}), oldest first.
   */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
    try (exchange) {
      if (username != null && !authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      runBackend(exchange);
    }
  }

  private boolean authorized(String header) {
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return false;
    }
    String presented;
    try {
      presented =
          new String(
              Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8),
        (username + ":" + token).getBytes(StandardCharsets.UTF_8));
  }

  /** Runs one CGI request through {@code git http-backend}. */
  private void runBackend(HttpExchange exchange) throws IOException {
    // Buffered whole: request bodies of test repositories are small, and a known length lets the
    // backend read exactly the (possibly gzipped) body.
    byte[] body = exchange.getRequestBody().readAllBytes();
    ProcessBuilder builder =
        new ProcessBuilder(git.toString(), "http-backend")
            .redirectError(
                ProcessBuilder.Redirect.appendTo(dir.resolve("http-backend.log").toFile()));
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", dir.resolve("home").toString());
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("GIT_PROJECT_ROOT", projectRoot.toString());
    env.put("GIT_HTTP_EXPORT_ALL", "1");
    env.put("GATEWAY_INTERFACE", "CGI/1.1");
    env.put("SERVER_PROTOCOL", "HTTP/1.1");
    env.put("SERVER_SOFTWARE", "slipway-test-git");
    env.put("REQUEST_METHOD", exchange.getRequestMethod());
    env.put("PATH_INFO", exchange.getRequestURI().getPath());
    env.put("QUERY_STRING", Optional.ofNullable(exchange.getRequestURI().getRawQuery()).orElse(""));
    env.put("REMOTE_ADDR", exchange.getRemoteAddress().getAddress().getHostAddress());
    env.put("CONTENT_LENGTH", Integer.toString(body.length));
    if (username != null) {
      env.put("REMOTE_USER", username);
    }
    copyHeader(exchange, "Content-Type", env, "CONTENT_TYPE");
    copyHeader(exchange, "Content-Encoding", env, "HTTP_CONTENT_ENCODING");
    copyHeader(exchange, "Accept", env, "HTTP_ACCEPT");
    // Protocol v2 is asked for in this header; the backend reads it from GIT_PROTOCOL.
    copyHeader(exchange, "Git-Protocol", env, "GIT_PROTOCOL");
    copyHeader(exchange, "Git-Protocol", env, "HTTP_GIT_PROTOCOL");

    Process process = builder.start();
    executor.execute(
        () -> {
          try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(body);
          } catch (IOException backendStoppedReading) {
            // The backend answers with an error status of its own.
          }
        });
    try (InputStream stdout = process.getInputStream()) {
      int status = readCgiHeaders(stdout, exchange);
      boolean noBody = exchange.getRequestMethod().equals("HEAD") || status == 204 || status == 304;
      exchange.sendResponseHeaders(status, noBody ? -1 : 0);
      if (!noBody) {
        try (OutputStream out = exchange.getResponseBody()) {
          stdout.transferTo(out);
        }
      }
    } finally {
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void copyHeader(
      HttpExchange exchange, String header, Map<String, String> env, String variable) {
    String value = exchange.getRequestHeaders().getFirst(header);
    if (value != null) {
      env.put(variable, value);
    }
  }

  /** Copies the CGI response headers onto the exchange and returns the status. */
  private static int readCgiHeaders(InputStream stdout, HttpExchange exchange) throws IOException {
    int status = 200;
    while (true) {
      String line = readLine(stdout);
      if (line == null || line.isEmpty()) {
        return status;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ", 2)[0]);
      } else {
        exchange.getResponseHeaders().add(name, value);
      }
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return b == -1 && line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * One repository on the server and its working clone. Writes touch the working tree; {@link
   * #commit}, {@link #branch} and {@link #tag} publish to the served repository at once.
   */
  public final class Repo {

    private final String name;
    private final Path bare;
    private final Path work;
    private final Git working;

    private Repo(String name, Path bare, Path work, Git working) {
      this.name = name;
      this.bare = bare;
      this.work = work;
      this.working = working;
    }

    public String name() {
      return name;
    }

    /** {@code http://127.0.0.1:<port>/<name>.git}. */
    public String url() {
      return baseUrl() + "/" + name + ".git";
    }

    /** Writes {@code content} (UTF-8) to {@code path} in the working tree. */
    public Repo write(String path, String content) {
      Path file = FixtureSupport.inside(work, path);
      try {
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.writeString(file, content, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** Writes {@code content} to {@code path} with the executable bit set. */
    public Repo writeExecutable(String path, String content) {
      write(path, content);
      try {
        Files.setPosixFilePermissions(
            FixtureSupport.inside(work, path),
            EnumSet.of(
                PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.GROUP_READ,
                PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ,
                PosixFilePermission.OTHERS_EXECUTE));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** Creates a symlink at {@code path} pointing to {@code target} (kept verbatim). */
    public Repo symlink(String path, String target) {
      Path link = FixtureSupport.inside(work, path);
      try {
        Files.createDirectories(link.getParent());
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of(target));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** Deletes {@code path} from the working tree; the next commit records the deletion. */
    public Repo delete(String path) {
      try {
        Files.deleteIfExists(FixtureSupport.inside(work, path));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** Commits every change in the working tree on the current branch and publishes it. */
    public String commit(String message) {
      try {
        working.add().addFilepattern(".").call();
        working.add().addFilepattern(".").setUpdate(true).call();
        RevCommit commit =
            working
                .commit()
                .setMessage(message)
                .setAuthor(AUTHOR)
                .setCommitter(AUTHOR)
                .setSign(false)
                .setAllowEmpty(true)
                .call();
        publish(working.getRepository().getFullBranch());
        return commit.getName();
      } catch (GitAPIException | IOException e) {
        throw new IllegalStateException("could not commit in " + name, e);
      }
    }

    /**
     * Creates branch {@code branch} at the current commit, switches to it and publishes it; later
     * commits land on it. Needs at least one commit.
     */
    public Repo branch(String branch) {
      try {
        working.checkout().setCreateBranch(true).setName(branch).call();
        publish(Constants.R_HEADS + branch);
      } catch (GitAPIException | IOException e) {
        throw new IllegalStateException("could not create branch " + branch + " in " + name, e);
      }
      return this;
    }

    /** Switches the working clone to an existing branch. */
    public Repo checkout(String branch) {
      try {
        working.checkout().setName(branch).call();
      } catch (GitAPIException e) {
        throw new IllegalStateException("could not check out " + branch + " in " + name, e);
      }
      return this;
    }

    /** Creates the annotated tag {@code tag} at the current commit and publishes it. */
    public Repo tag(String tag) {
      try {
        working
            .tag()
            .setName(tag)
            .setMessage(tag)
            .setTagger(AUTHOR)
            .setAnnotated(true)
            .setSigned(false)
            .call();
        publish(Constants.R_TAGS + tag);
      } catch (GitAPIException | IOException e) {
        throw new IllegalStateException("could not tag " + tag + " in " + name, e);
      }
      return this;
    }

    /** The SHA of the working clone's current commit. */
    public String head() {
      try {
        return working.getRepository().resolve(Constants.HEAD).getName();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The bare repository the server serves, for assertions on the server side. */
    public Path bareDirectory() {
      return bare;
    }

    private void publish(String ref) throws GitAPIException, IOException {
      working
          .push()
          .setRemote(bare.toUri().toString())
          .setRefSpecs(new RefSpec("+" + ref + ":" + ref))
          .setTimeout((int) Duration.ofSeconds(30).toSeconds())
          .call();
    }
  }
}
