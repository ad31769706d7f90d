package dev.slipway.builder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code .dockerignore} of a build context, in a simple form: one glob pattern per line ({@code
 * *}, {@code ?}, {@code [..]} within a path part, {@code **} across parts), {@code #} comments,
 * {@code !} exceptions, the last matching line wins, and a pattern that matches a directory
 * excludes everything below it. The file is read only when it is a regular file: a symlinked {@code
 * .dockerignore} is ignored rather than followed.
 */
final class DockerIgnore {

  private record Rule(List<PathMatcher> matchers, boolean exclude) {
    boolean matches(Path path) {
      return matchers.stream().anyMatch(m -> m.matches(path));
    }
  }

  static final String FILE = ".dockerignore";
  private static final DockerIgnore NONE = new DockerIgnore(List.of());

  private final List<Rule> rules;

  private DockerIgnore(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  static DockerIgnore read(Path contextDir) throws IOException {
    Path file = contextDir.resolve(FILE);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return NONE;
    }
    return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  static DockerIgnore parse(List<String> lines) {
    List<Rule> rules = new ArrayList<>();
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      boolean exclude = true;
      if (line.startsWith("!")) {
        exclude = false;
        line = line.substring(1).strip();
      }
      String pattern = clean(line);
      if (pattern.isEmpty()) {
        continue;
      }
      List<PathMatcher> matchers = new ArrayList<>();
      matchers.add(glob(pattern));
      // Docker's "**/x" also matches "x" at the top.
      String rest = pattern;
      while (rest.startsWith("**/")) {
        rest = rest.substring(3);
        matchers.add(glob(rest));
      }
      rules.add(new Rule(matchers, exclude));
    }
    return new DockerIgnore(rules);
  }

  /** Whether any exception could bring back something below an excluded directory. */
  boolean hasExceptions() {
    return rules.stream().anyMatch(r -> !r.exclude());
  }

  /** Whether {@code relative} (a path inside the context, '/'-separated) is left out. */
  boolean excluded(String relative) {
    if (rules.isEmpty() || relative.isEmpty()) {
      return false;
    }
    Path path = Path.of(relative);
    boolean excluded = false;
    for (Rule rule : rules) {
      if (matchesSelfOrParent(rule, path)) {
        excluded = rule.exclude();
      }
    }
    return excluded;
  }

  private static boolean matchesSelfOrParent(Rule rule, Path path) {
    for (Path p = path; p != null; p = p.getParent()) {
      if (rule.matches(p)) {
        return true;
      }
    }
    return false;
  }

  private static String clean(String pattern) {
    String p = pattern;
    while (p.startsWith("/") || p.startsWith("./")) {
      p = p.startsWith("/") ? p.substring(1) : p.substring(2);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p;
  }

  private static PathMatcher glob(String pattern) {
    // Braces group alternatives in Java globs but are literal in .dockerignore.
    String escaped = pattern.replace("{", "\\{").replace("}", "\\}");
    return FileSystems.getDefault().getPathMatcher("glob:" + escaped);
  }
}
