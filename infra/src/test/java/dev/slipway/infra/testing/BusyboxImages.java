package dev.slipway.infra.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Tiny images built {@code FROM scratch} around Debian's static {@code /bin/busybox}, so tests need
 * no registry.
 *
 * <p>Every image gets {@code /bin/busybox} plus a {@code /bin} symlink for each applet ({@code sh},
 * {@code wget}, {@code httpd}, ...), so shell-form {@code RUN}, {@code CMD} and {@code HEALTHCHECK}
 * work. Images carry the {@value DockerEngine#TEST_LABEL} label. Whoever builds an image removes it
 * with {@link #remove(String)}; whatever is left is removed at JVM exit.
 */
public final class BusyboxImages {

  /** Where the static busybox comes from (Debian's busybox-static). */
  public static final Path BUSYBOX = Path.of("/bin/busybox");

  /** The port {@link #httpImage} serves on. */
  public static final int HTTP_PORT = 8080;

  private static final long BUILD_TIMEOUT_SECONDS = 120;
  private static final Set<String> CREATED = ConcurrentHashMap.newKeySet();
  private static Thread cleanup;

  private BusyboxImages() {}

  /** {@code slipway-test/busybox-<random>:latest}. */
  public static String randomTag() {
    return DockerEngine.randomName("slipway-test/busybox") + ":latest";
  }

  /**
   * Builds an image that serves {@code files} (path under {@code /www} to content) with {@code
   * busybox httpd -f -p 8080 -h /www}.
   *
   * @return the full image id ({@code sha256:...})
   */
  public static String httpImage(String tag, Map<String, String> files) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("an http image needs at least one file to serve");
    }
    Map<String, String> context = new LinkedHashMap<>();
    files.forEach((path, content) -> context.put("rootfs/www/" + path, content));
    return build(
        tag,
        List.of(
            "EXPOSE " + HTTP_PORT,
            "CMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \""
                + HTTP_PORT
                + "\", \"-h\", \"/www\"]"),
        context);
  }

  /**
   * Builds {@code tag} from a Dockerfile that starts {@code FROM scratch} and copies busybox in,
   * followed by {@code dockerfileLines}. {@code files} (path in the build context to content) can
   * be copied in by those lines; anything under {@code rootfs/} lands in the image's root already.
   *
   * @return the full image id ({@code sha256:...})
   */
  public static String build(String tag, List<String> dockerfileLines, Map<String, String> files) {
    DockerClient docker = DockerEngine.require();
    Path context = FixtureSupport.tempDir("slipway-busybox-image-");
    try {
      writeRootfs(context.resolve("rootfs"));
      for (Map.Entry<String, String> file : files.entrySet()) {
        Path target = FixtureSupport.inside(context, file.getKey());
        Files.createDirectories(target.getParent());
        Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
      }
      List<String> dockerfile = new ArrayList<>(List.of("FROM scratch", "COPY rootfs/ /"));
      dockerfile.addAll(dockerfileLines);
      Files.write(context.resolve("Dockerfile"), dockerfile, StandardCharsets.UTF_8);

      registerCleanup();
      CREATED.add(tag);
      docker
          .buildImageCmd(context.toFile())
          .withTags(Set.of(tag))
          .withLabels(Map.of(DockerEngine.TEST_LABEL, "true"))
          .withPull(false)
          .withRemove(true)
          .exec(new BuildImageResultCallback())
          .awaitImageId(BUILD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      // The build reports a short id; callers compare with inspect results, which carry the full.
      return docker.inspectImageCmd(tag).exec().getId();
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare the build context for " + tag, e);
    } finally {
      FixtureSupport.deleteRecursively(context);
    }
  }

  /** Removes the image {@code tag} (forcibly); an image already gone is fine. */
  public static void remove(String tag) {
    try {
      DockerEngine.client().removeImageCmd(tag).withForce(true).exec();
    } catch (NotFoundException alreadyGone) {
      // Nothing to do.
    }
    CREATED.remove(tag);
  }

  private static void writeRootfs(Path rootfs) throws IOException {
    Path bin = Files.createDirectories(rootfs.resolve("bin"));
    Files.copy(BUSYBOX, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String applet : applets()) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
    Files.createDirectories(rootfs.resolve("tmp"));
    Files.writeString(rootfs.resolve("tmp/.keep"), "");
  }

  private static List<String> applets() throws IOException {
    if (!Files.isExecutable(BUSYBOX)) {
      throw new IllegalStateException(
          BUSYBOX + " not found: run `infra/slipway setup` (installs Debian's busybox-static)");
    }
    Process list = new ProcessBuilder(BUSYBOX.toString(), "--list").start();
    List<String> names;
    try (var out = list.getInputStream()) {
      names =
          new String(out.readAllBytes(), StandardCharsets.UTF_8)
              .lines()
              .map(String::strip)
              .filter(name -> name.matches("[A-Za-z0-9._\\[\\]-]+"))
              .filter(name -> !name.equals("busybox"))
              .toList();
    }
    try {
      if (list.waitFor() != 0 || names.isEmpty()) {
        throw new IllegalStateException(BUSYBOX + " --list failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing busybox applets", e);
    }
    return names;
  }

  private static synchronized void registerCleanup() {
    if (cleanup == null) {
      cleanup =
          FixtureSupport.atExit(
              "slipway-busybox-images-cleanup",
              () -> {
                for (String tag : Set.copyOf(CREATED)) {
                  try {
                    remove(tag);
                  } catch (RuntimeException e) {
                    System.err.println("could not remove test image " + tag + ": " + e);
                  }
                }
              });
    }
  }
}
