package dev.slipway.builder;

import dev.slipway.infra.events.BuildFailureReason;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The build context sent to the engine: the {@code context} directory of the clone as a tar, with
 * the Dockerfile named inside it.
 *
 * <p>Both paths must stay inside the clone after symlinks are resolved. Inside the tar, symlinks
 * are stored as symlinks and never followed, so a link to a host file ({@code secret ->
 * /etc/shadow}) carries its target's name, never its content; the engine resolves links within the
 * context only.
 *
 * @param tar the archive, in the build's work directory
 * @param dockerfile the Dockerfile's path inside the archive
 */
record BuildContext(Path tar, String dockerfile) {

  /**
   * Checks the paths and writes {@code tar}; honours the context's {@code .dockerignore} (see
   * {@link DockerIgnore}), except that the Dockerfile is always included.
   */
  static BuildContext prepare(
      Path clone, String context, String dockerfile, Path tar, CancelToken token) {
    try {
      Path root = clone.toRealPath();
      Path contextDir = inside(root, context, "context");
      if (!Files.isDirectory(contextDir)) {
        throw invalid("context '" + context + "' is not a directory in the repository");
      }
      // The API's dockerfile is relative to the context, like `docker build -f` inside it.
      String dockerfileInRepo = Path.of(context).resolve(dockerfile).normalize().toString();
      Path dockerfilePath = inside(root, dockerfileInRepo, "dockerfile");
      if (!Files.isRegularFile(dockerfilePath)) {
        throw invalid("dockerfile '" + dockerfileInRepo + "' is not a file in the repository");
      }
      DockerIgnore ignore = DockerIgnore.read(contextDir);
      String dockerfileName;
      Path extra = null;
      if (dockerfilePath.startsWith(contextDir)
          && !ignore.excluded(slashes(contextDir.relativize(dockerfilePath)))) {
        dockerfileName = slashes(contextDir.relativize(dockerfilePath));
      } else {
        // Outside the context (as `docker build -f` allows) or ignored: ship it under a name of
        // its own.
        dockerfileName = ".slipway-dockerfile-" + UUID.randomUUID().toString().substring(0, 8);
        extra = dockerfilePath;
      }
      write(contextDir, ignore, dockerfileName, extra, tar, token);
      return new BuildContext(tar, dockerfileName);
    } catch (IOException e) {
      throw new BuildFailure(
          BuildFailureReason.INTERNAL_ERROR, "could not prepare the build context: " + e, e);
    }
  }

  private static Path inside(Path root, String relative, String field) throws IOException {
    if (relative == null || relative.isEmpty() || relative.indexOf('\0') >= 0) {
      throw invalid(field + " must be a path inside the repository");
    }
    Path candidate = root.resolve(relative).normalize();
    if (!candidate.startsWith(root)) {
      throw invalid(field + " '" + relative + "' is outside the repository");
    }
    Path real;
    try {
      real = candidate.toRealPath();
    } catch (NoSuchFileException e) {
      throw invalid(field + " '" + relative + "' does not exist in the repository");
    }
    if (!real.startsWith(root)) {
      throw invalid(field + " '" + relative + "' leads outside the repository through a symlink");
    }
    return real;
  }

  private static void write(
      Path contextDir,
      DockerIgnore ignore,
      String dockerfileName,
      Path extraDockerfile,
      Path tar,
      CancelToken token)
      throws IOException {
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 16);
        TarArchiveOutputStream out = new TarArchiveOutputStream(file)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      out.setAddPaxHeadersForNonAsciiNames(true);
      Files.walkFileTree(
          contextDir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                throws IOException {
              token.throwIfCancelled();
              String name = slashes(contextDir.relativize(dir));
              if (name.isEmpty()) {
                return FileVisitResult.CONTINUE;
              }
              if (ignore.excluded(name)) {
                return ignore.hasExceptions()
                    ? FileVisitResult.CONTINUE
                    : FileVisitResult.SKIP_SUBTREE;
              }
              TarArchiveEntry entry = new TarArchiveEntry(name + "/");
              entry.setMode(040755);
              entry.setModTime(attrs.lastModifiedTime().toMillis());
              out.putArchiveEntry(entry);
              out.closeArchiveEntry();
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path path, BasicFileAttributes attrs)
                throws IOException {
              token.throwIfCancelled();
              String name = slashes(contextDir.relativize(path));
              boolean always = name.equals(dockerfileName) || name.equals(DockerIgnore.FILE);
              if (!always && ignore.excluded(name)) {
                return FileVisitResult.CONTINUE;
              }
              if (attrs.isSymbolicLink()) {
                TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                entry.setLinkName(Files.readSymbolicLink(path).toString());
                entry.setMode(0120777);
                entry.setModTime(attrs.lastModifiedTime().toMillis());
                out.putArchiveEntry(entry);
                out.closeArchiveEntry();
              } else if (attrs.isRegularFile()) {
                addFile(out, path, name, attrs);
              }
              // Sockets, fifos and devices have no place in a build context.
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path path, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw e;
            }
          });
      if (extraDockerfile != null) {
        addFile(
            out,
            extraDockerfile,
            dockerfileName,
            Files.readAttributes(
                extraDockerfile, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
      }
    }
  }

  private static void addFile(
      TarArchiveOutputStream out, Path path, String name, BasicFileAttributes attrs)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(attrs.size());
    entry.setModTime(attrs.lastModifiedTime().toMillis());
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
    entry.setMode(perms.contains(PosixFilePermission.OWNER_EXECUTE) ? 0100755 : 0100644);
    out.putArchiveEntry(entry);
    try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
      long copied = in.transferTo(out);
      if (copied != attrs.size()) {
        throw new IOException(name + " changed size while being archived");
      }
    }
    out.closeArchiveEntry();
  }

  private static String slashes(Path relative) {
    return relative.toString().replace('\\', '/');
  }

  private static BuildFailure invalid(String message) {
    return new BuildFailure(BuildFailureReason.INVALID_REQUEST, message);
  }
}
