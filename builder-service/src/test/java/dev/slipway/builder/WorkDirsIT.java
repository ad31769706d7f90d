package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Clone directories left by a builder process that was killed, on the real file system. */
@DisplayName("A killed builder's clone directories")
class WorkDirsIT {

  private Path root;
  private Process holder;

  @BeforeEach
  void createRoot() throws Exception {
    root = Files.createTempDirectory("slipway-workdirs-it");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (holder != null) {
      holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    BuildPipeline.deleteTree(root);
  }

  @Test
  @DisplayName(
      "are kept while their builder process lives and removed by the next builder to start once"
          + " it was killed with SIGKILL")
  void removedAfterTheBuilderIsKilled() throws Exception {
    holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                WorkDirsHolder.class.getName(),
                root.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    Path clone;
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
      clone = Path.of(out.readLine());
    }
    assertThat(clone.resolve("Dockerfile")).exists();

    try (WorkDirs alongside = WorkDirs.open(root)) {
      assertThat(clone.resolve("Dockerfile")).as("a live builder's clone").exists();
      assertThat(alongside.dir()).isNotEqualTo(clone.getParent());
    }

    holder.destroyForcibly(); // SIGKILL: the builder runs no clean-up of its own
    assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(clone).as("nothing removed it yet").exists();

    try (WorkDirs next = WorkDirs.open(root)) {
      assertThat(clone.getParent()).doesNotExist();
      assertThat(list(root)).containsExactlyInAnyOrder(next.dir(), lockOf(next.dir()));
    }
    assertThat(list(root)).as("a builder that stops removes its own").isEmpty();
  }

  @Test
  @DisplayName("of a builder in the same process are kept")
  void sameProcessKept() throws Exception {
    try (WorkDirs first = WorkDirs.open(root)) {
      Path clone = first.newBuildDir("b-1");
      try (WorkDirs second = WorkDirs.open(root)) {
        assertThat(clone).exists();
        assertThat(second.newBuildDir("b-2")).exists();
      }
      assertThat(clone).exists();
    }
    assertThat(list(root)).isEmpty();
  }

  private static Path lockOf(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".lock");
  }

  private static List<Path> list(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }
}
