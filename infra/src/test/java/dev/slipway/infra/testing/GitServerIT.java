package dev.slipway.infra.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The git server fixture")
class GitServerIT {

  @TempDir Path clones;

  private GitServer server;
  private GitServer.Repo repo;
  private String first;
  private String second;

  @BeforeEach
  void twoCommitsABranchAndATag() {
    server = GitServer.start();
    repo = server.createRepo("acme/app-" + FixtureSupport.randomSuffix());
    first = repo.write("README.md", "v1\n").symlink("docs", "README.md").commit("first");
    repo.tag("v1.0.0");
    second =
        repo.branch("feature")
            .write("README.md", "v2\n")
            .writeExecutable("run.sh", "#!/bin/sh\necho hi\n")
            .commit("second");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName("a JGit clone of a branch gets that branch's files, symlinks and modes")
  void cloneBranch() throws Exception {
    Path dir = clones.resolve("feature");
    try (Git clone =
        Git.cloneRepository()
            .setURI(repo.url())
            .setBranch("feature")
            .setDirectory(dir.toFile())
            .call()) {
      assertEquals(second, clone.getRepository().resolve(Constants.HEAD).getName());
      assertEquals(List.of(second, first), history(clone));
    }
    assertEquals("v2\n", Files.readString(dir.resolve("README.md")));
    assertTrue(Files.isExecutable(dir.resolve("run.sh")));
    assertTrue(Files.isSymbolicLink(dir.resolve("docs")));
    assertEquals(Path.of("README.md"), Files.readSymbolicLink(dir.resolve("docs")));
  }

  @Test
  @DisplayName("a JGit clone of main does not see the feature branch's commit")
  void cloneMain() throws Exception {
    Path dir = clones.resolve("main");
    try (Git clone = Git.cloneRepository().setURI(repo.url()).setDirectory(dir.toFile()).call()) {
      assertEquals(first, clone.getRepository().resolve(Constants.HEAD).getName());
    }
    assertEquals("v1\n", Files.readString(dir.resolve("README.md")));
    assertFalse(Files.exists(dir.resolve("run.sh")));
  }

  @Test
  @DisplayName("a shallow JGit clone at a tag holds only the tagged commit")
  void shallowCloneAtTag() throws Exception {
    Path dir = clones.resolve("tag");
    try (Git clone =
        Git.cloneRepository()
            .setURI(repo.url())
            .setBranch("refs/tags/v1.0.0")
            .setDepth(1)
            .setDirectory(dir.toFile())
            .call()) {
      assertEquals(first, clone.getRepository().resolve(Constants.HEAD).getName());
      assertEquals(List.of(first), history(clone));
      assertTrue(Files.exists(dir.resolve(".git/shallow")));
    }
    assertEquals("v1\n", Files.readString(dir.resolve("README.md")));
  }

  @Test
  @DisplayName("the git CLI clones shallow over protocol v2")
  void cliShallowCloneOverProtocolV2() throws Exception {
    Path dir = clones.resolve("cli");
    Path log = clones.resolve("clone.log");
    ProcessBuilder clone =
        new ProcessBuilder(
                "git",
                "-c",
                "protocol.version=2",
                "clone",
                "--depth",
                "1",
                "--branch",
                "feature",
                repo.url(),
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    // The packet trace shows what the server really spoke, not just what the client asked for.
    clone.environment().put("GIT_TRACE_PACKET", log.toString());
    Process git = clone.start();

    assertTrue(git.waitFor(60, TimeUnit.SECONDS), "git clone finished");
    assertEquals(0, git.exitValue(), () -> read(log));
    assertTrue(read(log).contains("< version 2"), () -> "server spoke protocol v2:\n" + read(log));
    assertTrue(read(log).contains("> deepen 1"), () -> "client asked for depth 1:\n" + read(log));
    assertEquals("v2\n", Files.readString(dir.resolve("README.md")));
    assertEquals("1", gitOutput(dir, "rev-list", "--count", "HEAD"));
    assertEquals(second, gitOutput(dir, "rev-parse", "HEAD"));
  }

  @Test
  @DisplayName("the git CLI's gzipped fetch requests are understood")
  void gzippedRequestBody() throws Exception {
    // git gzips a request body over 1 KiB: 25 distinct branch tips make 25 want lines.
    int branches = 25;
    for (int i = 0; i < branches; i++) {
      repo.branch("b" + i).write("b.txt", "branch " + i + "\n").commit("b" + i);
    }
    Path dir = clones.resolve("many");
    Path log = clones.resolve("clone-many.log");
    ProcessBuilder clone =
        new ProcessBuilder("git", "clone", "--no-checkout", repo.url(), dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    clone.environment().put("GIT_TRACE_CURL", log.toString());
    clone.environment().put("GIT_TRACE_CURL_NO_DATA", "1");
    Process git = clone.start();

    assertTrue(git.waitFor(60, TimeUnit.SECONDS), "git clone finished");
    assertEquals(0, git.exitValue(), () -> read(log));
    assertTrue(
        read(log).contains("Content-Encoding: gzip"), () -> "request was gzipped:\n" + read(log));
    String remoteBranches = gitOutput(dir, "branch", "-r", "--format=%(refname:short)");
    assertEquals(branches + 3, remoteBranches.lines().count(), remoteBranches);
  }

  @Test
  @DisplayName("with auth on, a clone without credentials fails and one with the token succeeds")
  void authentication() throws Exception {
    try (GitServer secured = GitServer.start("ci-bot", "tok-" + FixtureSupport.randomSuffix())) {
      GitServer.Repo secret = secured.createRepo("secret");
      String sha = secret.write("key.txt", "s3cr3t\n").commit("only");

      assertThrows(
          TransportException.class,
          () ->
              Git.cloneRepository()
                  .setURI(secret.url())
                  .setDirectory(clones.resolve("anonymous").toFile())
                  .call()
                  .close());
      assertThrows(
          TransportException.class,
          () ->
              Git.cloneRepository()
                  .setURI(secret.url())
                  .setCredentialsProvider(
                      new org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider(
                          "ci-bot", "wrong"))
                  .setDirectory(clones.resolve("wrong").toFile())
                  .call()
                  .close());

      Path dir = clones.resolve("authorized");
      try (Git clone =
          Git.cloneRepository()
              .setURI(secret.url())
              .setCredentialsProvider(secured.credentials().orElseThrow())
              .setDirectory(dir.toFile())
              .call()) {
        assertEquals(sha, clone.getRepository().resolve(Constants.HEAD).getName());
      }
      assertEquals("s3cr3t\n", Files.readString(dir.resolve("key.txt")));
    }
  }

  private static List<String> history(Git git) throws Exception {
    return java.util.stream.StreamSupport.stream(git.log().call().spliterator(), false)
        .map(RevCommit::getName)
        .toList();
  }

  private static String gitOutput(Path dir, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out);
    return out.strip();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }
}
