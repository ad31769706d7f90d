package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.events.BuildFailureReason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Build context")
class BuildContextTest {

  @TempDir Path dir;

  private Path newClone() throws IOException {
    return Files.createDirectories(dir.resolve("clone"));
  }

  @Test
  @DisplayName("a symlink to a host file is archived as a link: the file's content is not in it")
  void symlinkStaysALink() throws IOException {
    Path outside = dir.resolve("host-secret");
    Files.writeString(outside, "top secret canary");
    Path clone = newClone();
    Files.createDirectories(clone.resolve("app"));
    Files.writeString(clone.resolve("app/Dockerfile"), "FROM scratch\n");
    Files.createSymbolicLink(clone.resolve("app/secret"), outside);

    BuildContext context = prepare(clone, "app", "Dockerfile");

    Map<String, TarArchiveEntry> entries = entries(context.tar());
    assertThat(entries.get("secret").isSymbolicLink()).isTrue();
    assertThat(entries.get("secret").getLinkName()).isEqualTo(outside.toString());
    assertThat(Files.readString(context.tar(), StandardCharsets.ISO_8859_1))
        .doesNotContain("top secret canary");
    assertThat(context.dockerfile()).isEqualTo("Dockerfile");
  }

  @Test
  @DisplayName("a context or Dockerfile that leaves the clone, by '..' or by symlink, is refused")
  void escapesRefused() throws IOException {
    Path clone = newClone();
    Files.writeString(clone.resolve("Dockerfile"), "FROM scratch\n");
    Files.createSymbolicLink(clone.resolve("etc"), Path.of("/etc"));
    Files.createSymbolicLink(clone.resolve("df"), Path.of("/etc/hostname"));

    assertInvalid(clone, "etc", "Dockerfile", "leads outside the repository through a symlink");
    assertInvalid(clone, "..", "Dockerfile", "is outside the repository");
    assertInvalid(clone, "/etc", "Dockerfile", "is outside the repository");
    assertInvalid(clone, ".", "df", "leads outside the repository through a symlink");
    assertInvalid(clone, ".", "missing/Dockerfile", "does not exist in the repository");
    assertInvalid(clone, "Dockerfile", "Dockerfile", "is not a directory");
  }

  @Test
  @DisplayName(
      "a Dockerfile linked from the context to elsewhere in the repository is shipped under a"
          + " name of its own")
  void dockerfileOutsideContext() throws IOException {
    Path clone = newClone();
    Files.createDirectories(clone.resolve("ctx"));
    Files.createDirectories(clone.resolve("docker"));
    Files.writeString(clone.resolve("ctx/file.txt"), "x");
    Files.writeString(clone.resolve("docker/Dockerfile"), "FROM scratch\nCOPY file.txt /\n");
    Files.createSymbolicLink(clone.resolve("ctx/Dockerfile"), Path.of("../docker/Dockerfile"));

    BuildContext context = prepare(clone, "ctx", "Dockerfile");

    assertThat(context.dockerfile()).startsWith(".slipway-dockerfile-");
    assertThat(entries(context.tar())).containsKeys("file.txt", context.dockerfile());
  }

  @Test
  @DisplayName(
      ".dockerignore leaves files out, exceptions bring them back, the Dockerfile always goes"
          + " in, and executables keep their bit")
  void dockerignore() throws IOException {
    Path clone = newClone();
    Files.createDirectories(clone.resolve("node_modules/lib"));
    Files.writeString(clone.resolve("node_modules/lib/index.js"), "x");
    Files.writeString(clone.resolve("debug.log"), "x");
    Files.createDirectories(clone.resolve("logs"));
    Files.writeString(clone.resolve("logs/keep.log"), "x");
    Files.writeString(clone.resolve("run.sh"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(
        clone.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(clone.resolve("Dockerfile"), "FROM scratch\n");
    Files.writeString(
        clone.resolve(".dockerignore"),
        "# build output\nnode_modules\n**/*.log\n!logs/keep.log\nDockerfile\n");

    BuildContext context = prepare(clone, ".", "Dockerfile");

    Map<String, TarArchiveEntry> entries = entries(context.tar());
    assertThat(entries)
        .containsKeys(context.dockerfile(), ".dockerignore", "logs/keep.log", "run.sh")
        .doesNotContainKeys("node_modules/", "node_modules/lib/index.js", "debug.log");
    assertThat(entries.get("run.sh").getMode() & 0777).isEqualTo(0755);
  }

  private BuildContext prepare(Path clone, String context, String dockerfile) {
    return BuildContext.prepare(
        clone, context, dockerfile, dir.resolve("ctx.tar"), new CancelToken());
  }

  private void assertInvalid(Path clone, String context, String dockerfile, String message) {
    assertThatThrownBy(() -> prepare(clone, context, dockerfile))
        .isInstanceOf(BuildFailure.class)
        .hasMessageContaining(message)
        .extracting(e -> ((BuildFailure) e).reason())
        .isEqualTo(BuildFailureReason.INVALID_REQUEST);
  }

  private static Map<String, TarArchiveEntry> entries(Path tar) throws IOException {
    Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(tar);
        TarArchiveInputStream archive = new TarArchiveInputStream(in)) {
      TarArchiveEntry entry;
      while ((entry = archive.getNextEntry()) != null) {
        entries.put(entry.getName(), entry);
      }
    }
    return entries;
  }
}
