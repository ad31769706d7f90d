package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.LogStream;
import dev.slipway.infra.testing.GitServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Git cloner against a real git smart-HTTP server")
class GitClonerIT {

  private static GitServer server;
  private static GitServer.Repo repo;
  private static String mainHead;
  private static String tagged;

  @TempDir Path dir;

  private final GitCloner cloner = new GitCloner(Duration.ofSeconds(30));
  private final List<String> lines = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void repository() {
    server = GitServer.start();
    repo = server.createRepo("cloner");
    tagged = repo.write("app/Dockerfile", "FROM scratch\n").commit("first");
    repo.tag("v1.0");
    mainHead = repo.write("app/stamp.txt", "2").commit("second");
    repo.branch("feature").write("app/stamp.txt", "feature").commit("on feature");
    repo.checkout("main");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aBranchIsFetchedWithoutListingTheRemoteFirst() {
    int before = server.requests().size();

    String sha = cloneAt("main");

    assertThat(sha).isEqualTo(mainHead);
    assertThat(Files.exists(dir.resolve("src/app/stamp.txt"))).isTrue();
    // One advertisement of the refs, the one the fetch itself reads: no ls-remote before it.
    assertThat(refAdvertisements(before)).isEqualTo(1);
    assertThat(lines).contains("fetching main (depth 1)");
  }

  @Test
  void theDefaultBranchIsFetchedWithoutListingTheRemoteFirst() {
    int before = server.requests().size();

    assertThat(cloneAt(null)).isEqualTo(mainHead);
    assertThat(refAdvertisements(before)).isEqualTo(1);
    assertThat(lines).contains("fetching the default branch (depth 1)");
  }

  @Test
  void aTagIsTriedAfterTheBranchOfTheSameName() {
    int before = server.requests().size();

    assertThat(cloneAt("v1.0")).isEqualTo(tagged);
    assertThat(refAdvertisements(before)).isEqualTo(2);
  }

  @Test
  void fullRefNamesAndOtherBranchesAreFetched() throws Exception {
    String feature = cloneAt("refs/heads/feature");

    assertThat(feature).isNotIn(mainHead, tagged);
    assertThat(Files.readString(dir.resolve("src/app/stamp.txt"))).isEqualTo("feature");
  }

  @Test
  void aMissingRefNamesTheBranchesTheRemoteHas() {
    assertThatThrownBy(() -> cloneAt("nope"))
        .isInstanceOfSatisfying(
            BuildFailure.class,
            f -> assertThat(f.reason()).isEqualTo(BuildFailureReason.REF_NOT_FOUND))
        .hasMessage(
            "ref 'nope' not found in "
                + repo.url()
                + ": check the branch, tag or commit (branches: feature, main)");
  }

  @Test
  void anEmptyRepositoryHasNoDefaultBranch() {
    GitServer.Repo empty = server.createRepo("empty");
    assertThatThrownBy(() -> cloneAt(empty, null))
        .isInstanceOf(BuildFailure.class)
        .hasMessageContaining("has no default branch (empty repository?)");
  }

  private String cloneAt(String ref) {
    return cloneAt(repo, ref);
  }

  private String cloneAt(GitServer.Repo from, String ref) {
    URI uri = URI.create(from.url());
    GitUrlPolicy.Remote remote = new GitUrlPolicy.Remote(uri, uri.getHost(), uri.getPort());
    return cloner.cloneAt(
        remote,
        ref,
        dir.resolve("src"),
        Optional.empty(),
        new CancelToken(),
        (LogStream stream, String text) -> lines.add(text));
  }

  private long refAdvertisements(int since) {
    return server.requests().stream()
        .skip(since)
        .filter(r -> r.startsWith("GET ") && r.contains("/info/refs"))
        .count();
  }
}
