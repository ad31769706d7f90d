package dev.slipway.infra.docker;

import dev.slipway.infra.events.Color;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The Docker labels and names of the containers Slipway creates: the contract with the engine. The
 * reconciler recognizes managed containers by {@link #MANAGED} only and never touches others.
 */
public final class Labels {

  /** {@code true} on every container Slipway created. */
  public static final String MANAGED = "dev.slipway.managed";

  /** The app a container runs. */
  public static final String APP = "dev.slipway.app";

  /** The deployment id that created the container. */
  public static final String DEPLOYMENT = "dev.slipway.deployment";

  /** The app revision the container runs. */
  public static final String REVISION = "dev.slipway.revision";

  /** The blue-green slot: {@code blue} or {@code green}. */
  public static final String COLOR = "dev.slipway.color";

  /** What the container is for within Slipway. */
  public static final String ROLE = "dev.slipway.role";

  /** The build id that produced an image. */
  public static final String BUILD = "dev.slipway.build";

  /** The value of {@link #MANAGED}. */
  public static final String TRUE = "true";

  /** The longest container name produced; also a DNS label's limit. */
  public static final int MAX_NAME_LENGTH = 63;

  private static final String NAME_PREFIX = "slipway-";

  private Labels() {}

  /**
   * The deterministic container name {@code slipway-<app>-<revision>-<color>}: lowercase, only
   * {@code [a-z0-9-]}, at most 63 characters. When the app name makes it too long, the app part is
   * shortened and suffixed with a hash of the full name, so distinct apps keep distinct names.
   *
   * @throws IllegalArgumentException when the app has no letter or digit, or the revision is below
   *     1
   */
  public static String containerName(String app, long revision, Color color) {
    if (revision < 1) {
      throw new IllegalArgumentException("revisions start at 1, not " + revision);
    }
    String sanitized = sanitize(app);
    if (sanitized.isEmpty()) {
      throw new IllegalArgumentException("app name '" + app + "' has no letter or digit");
    }
    String suffix = "-" + revision + "-" + color.wire();
    int room = MAX_NAME_LENGTH - NAME_PREFIX.length() - suffix.length();
    if (sanitized.length() > room) {
      String hash = shortHash(app);
      String head = sanitized.substring(0, room - hash.length() - 1).replaceAll("-+$", "");
      sanitized = head + "-" + hash;
    }
    return NAME_PREFIX + sanitized + suffix;
  }

  /** As {@link #containerName(String, long, Color)}, with the color as its label value. */
  public static String containerName(String app, long revision, String color) {
    return containerName(app, revision, Color.of(color));
  }

  private static String sanitize(String app) {
    return app.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
  }

  private static String shortHash(String app) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(app.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
