package dev.slipway.builder;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A builder process for {@link WorkDirsIT}: takes a work directory under {@code args[0]}, makes one
 * build's clone directory with a file in it, prints that directory's path and waits to be killed.
 */
public final class WorkDirsHolder {

  private WorkDirsHolder() {}

  public static void main(String[] args) throws Exception {
    WorkDirs dirs = WorkDirs.open(Path.of(args[0]));
    Path clone = dirs.newBuildDir("b-held");
    Files.writeString(clone.resolve("Dockerfile"), "FROM scratch\n");
    System.out.println(clone);
    System.out.flush();
    System.in.read(); // until killed, or stdin closes
  }
}
