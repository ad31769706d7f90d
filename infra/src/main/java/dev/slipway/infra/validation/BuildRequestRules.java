package dev.slipway.infra.validation;

import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.Names;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a build request must look like before anything clones, builds or pushes it. The gateway runs
 * these rules before it publishes a request; the builder runs them again on every command it takes
 * off Kafka, since a command on the topic may come from any producer.
 *
 * <p>The rules defend the builder's host: a repository URL reaches {@code git} (no transport
 * helpers such as {@code ext::}, no local paths, no option injection, no credentials in the URL,
 * only the configured schemes), and {@code context}/{@code dockerfile} reach the file system
 * (relative, no {@code ..}, no backslashes, no percent-encoding). Symlinks inside the clone can
 * only be judged after the clone; the builder checks those.
 */
public final class BuildRequestRules {

  /** The longest build a request may ask for: a day. */
  public static final int MAX_TIMEOUT_SECONDS = 86_400;

  public static final int MAX_URL_LENGTH = 2048;
  public static final int MAX_PATH_LENGTH = 1024;
  public static final int MAX_TAGS = 32;
  public static final int MAX_BUILD_ARGS = 100;
  public static final int MAX_LABELS = 100;
  public static final int MAX_VALUE_LENGTH = 16_384;

  /** Docker tag grammar. */
  public static final String TAG_REGEX = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";

  /** A {@code --build-arg} name, as shells and Dockerfile {@code ARG} accept it. */
  public static final String BUILD_ARG_REGEX = "^[A-Za-z_][A-Za-z0-9_]{0,127}$";

  /** An image label key (reverse-DNS style, as the OCI annotations use). */
  public static final String LABEL_REGEX = "^[A-Za-z0-9]([A-Za-z0-9._/-]{0,253}[A-Za-z0-9])?$";

  /** Labels Slipway sets itself; a request may not forge them. */
  public static final String RESERVED_LABEL_PREFIX = "dev.slipway.";

  private static final Pattern TAG = Pattern.compile(TAG_REGEX);
  private static final Pattern BUILD_ARG = Pattern.compile(BUILD_ARG_REGEX);
  private static final Pattern LABEL = Pattern.compile(LABEL_REGEX);
  private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]{0,255}$");
  private static final Pattern NAMED_VOLUME =
      Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}:/[^:\\x00]*(:(ro|rw))?$");

  // Docker's reference grammar (distribution/reference): lowercase path components separated by
  // '/', optionally behind a registry host[:port].
  private static final Pattern PATH_COMPONENT =
      Pattern.compile("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$");
  private static final Pattern DOMAIN =
      Pattern.compile(
          "^(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
              + "(?:\\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*"
              + "|\\[[A-Fa-f0-9:]+\\])(?::[0-9]{1,5})?$");
  private static final Pattern DIGEST =
      Pattern.compile("^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$");
  private static final int MAX_IMAGE_NAME_LENGTH = 255;

  private static final Pattern URL_SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*)://");
  private static final Pattern SCP_LIKE = Pattern.compile("^[^/@:]+@[^/:]+:.*");
  private static final Pattern WINDOWS_DRIVE = Pattern.compile("^[A-Za-z]:.*");

  private final Set<String> gitSchemes;

  /**
   * @param gitSchemes the repository URL schemes allowed ({@code SLIPWAY_GIT_SCHEMES}), e.g. {@code
   *     https}; lowercase
   */
  public BuildRequestRules(Set<String> gitSchemes) {
    if (gitSchemes.isEmpty()) {
      throw new IllegalArgumentException("allow at least one git scheme");
    }
    this.gitSchemes = Set.copyOf(gitSchemes);
  }

  /** Every violation of the request, in field order; empty when it may be built. */
  public List<Violation> check(BuildRequested request) {
    List<Violation> out = new ArrayList<>();
    if (!Names.isValidId(request.buildId())) {
      out.add(new Violation("build_id", "must match " + Names.ID_REGEX));
    }
    repositoryProblem(request.repository()).ifPresent(m -> out.add(new Violation("repository", m)));
    if (request.ref() != null) {
      refProblem(request.ref()).ifPresent(m -> out.add(new Violation("ref", m)));
    }
    relativePathProblem(request.context()).ifPresent(m -> out.add(new Violation("context", m)));
    relativePathProblem(request.dockerfile())
        .or(() -> fileNameProblem(request.dockerfile()))
        .ifPresent(m -> out.add(new Violation("dockerfile", m)));
    checkBuildArgs(request.buildArgs(), out);
    imageNameProblem(request.image()).ifPresent(m -> out.add(new Violation("image", m)));
    checkTags(request.tags(), out);
    checkCredentialName("registry_credential", request.registryCredential(), out);
    checkCredentialName("git_credential", request.gitCredential(), out);
    checkLabels("labels", request.labels(), out);
    Integer timeout = request.timeoutSeconds();
    if (timeout != null && (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS)) {
      out.add(
          new Violation(
              "timeout_seconds", "must be from 1 to " + MAX_TIMEOUT_SECONDS + " (a day)"));
    }
    if (request.deploy() != null) {
      checkDeploy(request.deploy(), "deploy.", out);
    }
    return List.copyOf(out);
  }

  /**
   * Why {@code url} may not be cloned, or empty when it may: an absolute URL with an allowed
   * scheme, a host, a path, no credentials, no whitespace or control characters, and nothing git
   * could take for an option or a transport helper.
   */
  public Optional<String> repositoryProblem(String url) {
    if (url == null || url.isEmpty()) {
      return Optional.of("is required: the git URL to clone, e.g. https://host/owner/repo.git");
    }
    if (url.length() > MAX_URL_LENGTH) {
      return Optional.of("is longer than " + MAX_URL_LENGTH + " characters");
    }
    if (url.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
      return Optional.of(
          "must not contain whitespace, control or non-ASCII characters; percent-encode them");
    }
    if (url.startsWith("-")) {
      return Optional.of("must be a URL, not an option (it starts with '-')");
    }
    Matcher scheme = URL_SCHEME.matcher(url);
    if (!scheme.lookingAt()) {
      if (url.contains("::")) {
        return Optional.of("git transport helpers such as ext:: are not allowed; use " + example());
      }
      if (url.startsWith("/")
          || url.startsWith(".")
          || url.startsWith("~")
          || WINDOWS_DRIVE.matcher(url).matches()) {
        return Optional.of("local paths are not allowed; use " + example());
      }
      if (SCP_LIKE.matcher(url).matches()) {
        return Optional.of("scp-style SSH addresses are not allowed; use " + example());
      }
      return Optional.of("must be an absolute URL such as " + example());
    }
    String name = scheme.group(1).toLowerCase(Locale.ROOT);
    if (!gitSchemes.contains(name)) {
      return Optional.of(
          "scheme '"
              + name
              + "' is not allowed; allowed: "
              + String.join(", ", new TreeSet<>(gitSchemes))
              + " (SLIPWAY_GIT_SCHEMES)");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.of("is not a valid URL: " + e.getReason());
    }
    if (uri.getRawUserInfo() != null) {
      return Optional.of(
          "must not contain credentials; store them as a credential and name it in"
              + " git_credential");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty() || host.startsWith("-")) {
      return Optional.of("must name a host, e.g. " + example());
    }
    String path = uri.getRawPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return Optional.of("must name a repository path, e.g. " + example());
    }
    if (uri.getRawFragment() != null) {
      return Optional.of("must not have a #fragment");
    }
    return Optional.empty();
  }

  private String example() {
    String scheme = gitSchemes.contains("https") ? "https" : new TreeSet<>(gitSchemes).first();
    return scheme + "://host/owner/repo.git";
  }

  /**
   * Why {@code ref} is not a branch, tag or commit name git would accept, or empty when it is (a
   * subset of {@code git check-ref-format} that also refuses anything option-like or a refspec).
   */
  public static Optional<String> refProblem(String ref) {
    if (ref.isEmpty() || ref.length() > 255) {
      return Optional.of("must have 1 to 255 characters");
    }
    if (ref.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
      return Optional.of("must not contain whitespace, control or non-ASCII characters");
    }
    if (ref.startsWith("-")) {
      return Optional.of("must be a branch, tag or commit, not an option (it starts with '-')");
    }
    for (String bad : List.of("..", "@{", "//", "~", "^", ":", "?", "*", "[", "\\")) {
      if (ref.contains(bad)) {
        return Optional.of("must not contain '" + bad + "'");
      }
    }
    if (ref.startsWith("/") || ref.endsWith("/") || ref.endsWith(".") || ref.endsWith(".lock")) {
      return Optional.of("is not a valid git ref name");
    }
    return Optional.empty();
  }

  /**
   * Why {@code path} could leave the repository, or empty when it is a plain relative path: no
   * leading {@code /} or drive letter, no {@code ..} segment, no backslash, no percent-encoding, no
   * control characters.
   */
  public static Optional<String> relativePathProblem(String path) {
    if (path == null || path.isEmpty()) {
      return Optional.of("must not be empty");
    }
    if (path.length() > MAX_PATH_LENGTH) {
      return Optional.of("is longer than " + MAX_PATH_LENGTH + " characters");
    }
    if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return Optional.of("must not contain control characters");
    }
    if (path.indexOf('\\') >= 0) {
      return Optional.of("must use '/' as the separator; backslashes are not allowed");
    }
    if (path.indexOf('%') >= 0) {
      return Optional.of("must not be percent-encoded");
    }
    if (path.startsWith("/") || WINDOWS_DRIVE.matcher(path).matches()) {
      return Optional.of("must be relative to the repository, not absolute");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..")) {
        return Optional.of("must stay inside the repository: '..' is not allowed");
      }
    }
    return Optional.empty();
  }

  private static Optional<String> fileNameProblem(String path) {
    if (path.endsWith("/") || path.equals(".") || path.endsWith("/.")) {
      return Optional.of("must name a file, e.g. Dockerfile");
    }
    return Optional.empty();
  }

  /**
   * Why {@code image} is not an image name (repository without tag or digest), or empty when it is:
   * lowercase path components, optionally behind a registry {@code host[:port]}.
   */
  public static Optional<String> imageNameProblem(String image) {
    if (image == null || image.isEmpty()) {
      return Optional.of("is required, e.g. registry.local:5000/team/app");
    }
    if (image.length() > MAX_IMAGE_NAME_LENGTH) {
      return Optional.of("is longer than " + MAX_IMAGE_NAME_LENGTH + " characters");
    }
    if (image.contains("@")) {
      return Optional.of("must be a name without a digest, e.g. registry.local:5000/team/app");
    }
    int slash = image.lastIndexOf('/');
    if (image.indexOf(':', slash + 1) >= 0) {
      return Optional.of("must be a name without a tag; put tags in 'tags'");
    }
    return nameProblem(image);
  }

  /**
   * Why {@code reference} is not an image reference ({@code name[:tag][@digest]}), or empty when it
   * is.
   */
  public static Optional<String> imageReferenceProblem(String reference) {
    if (reference == null || reference.isEmpty()) {
      return Optional.of("is required, e.g. registry.local:5000/team/app:1.0");
    }
    String name = reference;
    int at = name.indexOf('@');
    if (at >= 0) {
      if (!DIGEST.matcher(name.substring(at + 1)).matches()) {
        return Optional.of("has an invalid digest; expected e.g. @sha256:<64 hex digits>");
      }
      name = name.substring(0, at);
    }
    int slash = name.lastIndexOf('/');
    int colon = name.indexOf(':', slash + 1);
    if (colon >= 0) {
      String tag = name.substring(colon + 1);
      if (!TAG.matcher(tag).matches()) {
        return Optional.of("has an invalid tag; tags match " + TAG_REGEX);
      }
      name = name.substring(0, colon);
    }
    if (name.length() > MAX_IMAGE_NAME_LENGTH) {
      return Optional.of("is longer than " + MAX_IMAGE_NAME_LENGTH + " characters");
    }
    return nameProblem(name);
  }

  // Docker's own split: the first component is a registry only when it looks like a host (has a
  // '.' or a ':', or is localhost); everything else is a lowercase path component.
  private static Optional<String> nameProblem(String name) {
    String[] parts = name.split("/", -1);
    int first = 0;
    if (parts.length > 1
        && (parts[0].contains(".") || parts[0].contains(":") || parts[0].equals("localhost"))) {
      if (!DOMAIN.matcher(parts[0]).matches()) {
        return Optional.of("has an invalid registry host '" + parts[0] + "'");
      }
      first = 1;
    }
    for (int i = first; i < parts.length; i++) {
      if (!PATH_COMPONENT.matcher(parts[i]).matches()) {
        return Optional.of(
            "is not a valid image name: path components are lowercase letters and digits"
                + " separated by '.', '_', '__' or '-', e.g. registry.local:5000/team/app");
      }
    }
    return Optional.empty();
  }

  public static boolean isValidTag(String tag) {
    return tag != null && TAG.matcher(tag).matches();
  }

  private static void checkTags(List<String> tags, List<Violation> out) {
    if (tags.size() > MAX_TAGS) {
      out.add(new Violation("tags", "at most " + MAX_TAGS + " tags"));
      return;
    }
    for (int i = 0; i < tags.size(); i++) {
      if (!isValidTag(tags.get(i))) {
        out.add(
            new Violation(
                "tags[" + i + "]",
                "is not a valid tag: 1 to 128 letters, digits, '_', '.' or '-', not starting"
                    + " with '.' or '-'"));
      }
    }
  }

  private static void checkBuildArgs(Map<String, String> args, List<Violation> out) {
    if (args.size() > MAX_BUILD_ARGS) {
      out.add(new Violation("build_args", "at most " + MAX_BUILD_ARGS + " build args"));
      return;
    }
    for (Map.Entry<String, String> arg : new java.util.TreeMap<>(args).entrySet()) {
      if (!BUILD_ARG.matcher(arg.getKey()).matches()) {
        out.add(
            new Violation(
                "build_args",
                "'"
                    + printable(arg.getKey())
                    + "' is not a valid build arg name: letters, digits and '_', not starting"
                    + " with a digit"));
      } else if (valueProblem(arg.getValue())) {
        out.add(
            new Violation(
                "build_args." + arg.getKey(),
                "must be at most " + MAX_VALUE_LENGTH + " characters without NUL"));
      }
    }
  }

  private static void checkLabels(String field, Map<String, String> labels, List<Violation> out) {
    if (labels.size() > MAX_LABELS) {
      out.add(new Violation(field, "at most " + MAX_LABELS + " labels"));
      return;
    }
    for (Map.Entry<String, String> label : new java.util.TreeMap<>(labels).entrySet()) {
      String key = label.getKey();
      if (!LABEL.matcher(key).matches()) {
        out.add(
            new Violation(
                field,
                "'"
                    + printable(key)
                    + "' is not a valid label key: letters, digits, '.', '_', '/' and '-'"));
      } else if (key.startsWith(RESERVED_LABEL_PREFIX)) {
        out.add(
            new Violation(
                field,
                "'"
                    + key
                    + "' is reserved: "
                    + RESERVED_LABEL_PREFIX
                    + "* labels are set by Slipway"));
      } else if (valueProblem(label.getValue())) {
        out.add(
            new Violation(
                field + "." + key,
                "must be at most " + MAX_VALUE_LENGTH + " characters without NUL"));
      }
    }
  }

  private static void checkCredentialName(String field, String name, List<Violation> out) {
    if (name != null && !Names.isValidId(name)) {
      out.add(
          new Violation(
              field, "must be a credential name: letters, digits, '.', '_' and '-', 1 to 128"));
    }
  }

  /**
   * The checks of a deploy spec, its fields named with {@code prefix} ({@code deploy.} in a build
   * request, empty in a deploy request); shared with {@link DeployRequestRules}.
   */
  static void checkDeploy(DeploySpec deploy, String prefix, List<Violation> out) {
    if (!Names.isValidApp(deploy.app())) {
      out.add(
          new Violation(
              prefix + "app",
              "must be a DNS label: lowercase letters, digits and '-', at most 63 characters"));
    }
    imageReferenceProblem(deploy.image())
        .ifPresent(m -> out.add(new Violation(prefix + "image", m)));
    if (deploy.port() != null && (deploy.port() < 1 || deploy.port() > 65535)) {
      out.add(new Violation(prefix + "port", "must be from 1 to 65535"));
    }
    for (Map.Entry<String, String> env : new java.util.TreeMap<>(deploy.env()).entrySet()) {
      if (!ENV_NAME.matcher(env.getKey()).matches()) {
        out.add(
            new Violation(
                prefix + "env",
                "'" + printable(env.getKey()) + "' is not a valid environment variable name"));
      } else if (valueProblem(env.getValue())) {
        out.add(
            new Violation(
                prefix + "env." + env.getKey(),
                "must be at most " + MAX_VALUE_LENGTH + " characters without NUL"));
      }
    }
    for (int i = 0; i < deploy.volumes().size(); i++) {
      String volume = deploy.volumes().get(i);
      if (!NAMED_VOLUME.matcher(volume).matches()) {
        out.add(
            new Violation(
                prefix + "volumes[" + i + "]",
                "must be a named volume 'name:/path[:ro]'; host paths are not allowed"));
      } else if (deploy.strategy() == DeploySpec.Strategy.BLUE_GREEN && !volume.endsWith(":ro")) {
        // Blue-green runs the old and the new container side by side: both would write to it.
        out.add(
            new Violation(
                prefix + "volumes",
                "'"
                    + printable(volume)
                    + "' is mounted read-write, and a blue-green deploy runs two containers on"
                    + " it at once; use strategy recreate, or mount it read-only (:ro)"));
      }
    }
    checkLabels(prefix + "labels", deploy.labels(), out);
  }

  private static boolean valueProblem(String value) {
    return value == null || value.length() > MAX_VALUE_LENGTH || value.indexOf('\0') >= 0;
  }

  // Names go back into error messages: keep them short and free of control characters.
  private static String printable(String s) {
    String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
    StringBuilder b = new StringBuilder();
    cut.codePoints()
        .forEach(c -> b.append(Character.isISOControl(c) ? "?" : new String(Character.toChars(c))));
    return b.toString();
  }
}
