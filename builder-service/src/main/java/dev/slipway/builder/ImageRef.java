package dev.slipway.builder;

import dev.slipway.infra.events.BuildFailureReason;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/**
 * An image name as the builder tags and pushes it, e.g. {@code registry.local:5000/team/app}: the
 * registry host (when the first part looks like one) and the repository path, without tag.
 *
 * @param name the full name as given
 * @param registry {@code host[:port]} the image is pushed to; {@code docker.io} when the name has
 *     none
 */
record ImageRef(String name, String registry) {

  static final String DEFAULT_REGISTRY = "docker.io";

  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
              + "(?::[0-9]{1,5})?|\\[[0-9a-fA-F:]+\\](?::[0-9]{1,5})?");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  /** Parses and validates; a bad name is the request's fault. */
  static ImageRef parse(String image) {
    if (image == null || image.isEmpty() || image.length() > 255) {
      throw invalid("image name must be 1 to 255 characters");
    }
    if (image.contains("@")) {
      throw invalid("image '" + image + "' must not contain a digest; name the image only");
    }
    String[] parts = image.split("/", -1);
    int first = 0;
    String registry = DEFAULT_REGISTRY;
    if (parts.length > 1
        && (parts[0].contains(".") || parts[0].contains(":") || parts[0].equals("localhost"))) {
      if (!DOMAIN.matcher(parts[0]).matches()) {
        throw invalid("image '" + image + "' has a bad registry host '" + parts[0] + "'");
      }
      registry = parts[0];
      first = 1;
    }
    for (int i = first; i < parts.length; i++) {
      if (parts[i].contains(":")) {
        throw invalid(
            "image '" + image + "' must not contain a tag; put tags in the tags field instead");
      }
      if (!COMPONENT.matcher(parts[i]).matches()) {
        throw invalid(
            "image '"
                + image
                + "' is not a valid name: each part must be lowercase letters and digits,"
                + " separated by '.', '_' or '-'");
      }
    }
    return new ImageRef(image, registry.toLowerCase(java.util.Locale.ROOT));
  }

  static String checkTag(String tag) {
    if (tag == null || !TAG.matcher(tag).matches()) {
      throw invalid(
          "tag '"
              + tag
              + "' is not valid: up to 128 letters, digits, '_', '.' or '-', not starting with"
              + " '.' or '-'");
    }
    return tag;
  }

  /** {@code <first 7 of the sha>-<UTC yyyyMMddHHmmss>}: unique per commit and moment, sortable. */
  static String defaultTag(String commitSha, Instant now) {
    return commitSha.substring(0, Math.min(7, commitSha.length())) + "-" + STAMP.format(now);
  }

  /** {@code name:tag}. */
  String withTag(String tag) {
    return name + ":" + tag;
  }

  private static BuildFailure invalid(String message) {
    return new BuildFailure(BuildFailureReason.INVALID_REQUEST, message);
  }
}
