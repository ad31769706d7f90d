package dev.slipway.deployer.engine;

import java.util.Locale;

/**
 * An image reference split the way the engine's pull API wants it.
 *
 * @param repository e.g. {@code registry.local:5000/team/web}
 * @param tagOrDigest e.g. {@code v1} or {@code sha256:...}; {@code latest} when the reference has
 *     neither
 */
public record ImageRef(String repository, String tagOrDigest) {

  /** Docker Hub, where references without a registry host point. */
  public static final String DOCKER_HUB = "docker.io";

  public static ImageRef parse(String image) {
    int at = image.indexOf('@');
    if (at >= 0) {
      return new ImageRef(image.substring(0, at), image.substring(at + 1));
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    if (colon > slash) {
      return new ImageRef(image.substring(0, colon), image.substring(colon + 1));
    }
    return new ImageRef(image, "latest");
  }

  /**
   * The registry host the image comes from: the first path part when it looks like a host ({@code
   * .} or {@code :} in it, or {@code localhost}), else Docker Hub.
   */
  public String registry() {
    int slash = repository.indexOf('/');
    if (slash < 0) {
      return DOCKER_HUB;
    }
    String first = repository.substring(0, slash);
    if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
      return first.toLowerCase(Locale.ROOT);
    }
    return DOCKER_HUB;
  }
}
