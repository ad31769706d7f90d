package dev.slipway.builder;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clone directories of one builder process under {@code SLIPWAY_BUILDER_WORK_DIR}.
 *
 * <p>The process owns {@code slipway-builder-<random>/}, each build's clone is a directory inside
 * it, deleted when the build ends, and beside it {@code slipway-builder-<random>.lock} stays locked
 * for as long as the process lives. A process that dies without cleaning up (SIGKILL, out of
 * memory, power loss) loses its lock with it, so the next builder that opens the same work dir
 * deletes what the dead one left: a clone directory never outlives its build for longer than it
 * takes a builder to start again. Builders sharing a work dir never touch each other's clones.
 *
 * <p>All methods do file I/O: call them off the event loop.
 */
final class WorkDirs implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WorkDirs.class);

  static final String PREFIX = "slipway-builder-";
  private static final String LOCK = ".lock";

  /**
   * Lock files this process holds. A sweep must not open them: closing any channel on a file
   * releases every lock the process holds on it (POSIX record locks).
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path dir;
  private final Path lockFile;
  private final FileChannel channel;

  private WorkDirs(Path dir, Path lockFile, FileChannel channel) {
    this.dir = dir;
    this.lockFile = lockFile;
    this.channel = channel;
  }

  /** Deletes what dead builders left under {@code root}, then takes a directory of its own. */
  static WorkDirs open(Path root) throws IOException {
    Files.createDirectories(root);
    int removed = sweep(root);
    if (removed > 0) {
      log.info(
          "removed clone directories of builders that died workDir={} owners={}", root, removed);
    }
    String name = PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    Path lockFile = root.resolve(name + LOCK);
    // Locked under another name first, then renamed (the lock stays with the file): a sweep never
    // sees a lock file that is not locked yet.
    Path fresh = root.resolve(name + LOCK + ".new");
    FileChannel channel =
        FileChannel.open(fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      channel.lock();
      HELD.add(lockFile);
      Files.move(fresh, lockFile, StandardCopyOption.ATOMIC_MOVE);
      return new WorkDirs(Files.createDirectory(root.resolve(name)), lockFile, channel);
    } catch (IOException | RuntimeException e) {
      HELD.remove(lockFile);
      channel.close();
      Files.deleteIfExists(fresh);
      Files.deleteIfExists(lockFile);
      throw e;
    }
  }

  /** A new, empty directory for one build's clone. */
  Path newBuildDir(String buildId) throws IOException {
    return Files.createTempDirectory(dir, buildId + "-");
  }

  /** This process's directory, which holds the clones of its running builds. */
  Path dir() {
    return dir;
  }

  /** Deletes this process's directory and lock file. */
  @Override
  public void close() throws IOException {
    try {
      removeOwned(dir, lockFile);
    } finally {
      channel.close();
      HELD.remove(lockFile);
    }
  }

  /**
   * Deletes the directory of every owner under {@code root} whose lock file no process holds.
   *
   * @return how many owners' directories were removed
   */
  static int sweep(Path root) throws IOException {
    int removed = 0;
    try (DirectoryStream<Path> locks = Files.newDirectoryStream(root, PREFIX + "*" + LOCK)) {
      for (Path lockFile : locks) {
        if (removeIfDead(root, lockFile)) {
          removed++;
        }
      }
    }
    return removed;
  }

  private static boolean removeIfDead(Path root, Path lockFile) throws IOException {
    if (HELD.contains(lockFile)) {
      return false; // another builder in this process
    }
    String name = lockFile.getFileName().toString();
    Path owned = root.resolve(name.substring(0, name.length() - LOCK.length()));
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        return false; // another process holds it: that builder is alive
      }
      // Held while deleting, so two builders starting at once do not both work on it.
      return removeOwned(owned, lockFile);
    } catch (NoSuchFileException | OverlappingFileLockException gone) {
      return false; // its owner closed, or another builder swept it meanwhile
    }
  }

  /**
   * Deletes an owner's directory, then its lock file; a directory that could not be deleted keeps
   * its lock file, so the next builder to start tries again.
   */
  private static boolean removeOwned(Path owned, Path lockFile) throws IOException {
    BuildPipeline.deleteTree(owned);
    if (Files.exists(owned, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    Files.deleteIfExists(lockFile);
    return true;
  }
}
