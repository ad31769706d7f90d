package dev.slipway.builder;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * A stored credential as the builder uses it: for an HTTPS clone from {@code registry} (a git host)
 * or for pushing to {@code registry} (an image registry).
 *
 * @param registry the host it belongs to, {@code host} or {@code host:port}; a scheme or path is
 *     ignored
 * @param username the user name
 * @param secret the password or token; never logged, never in events
 */
public record RegistryAuth(String registry, String username, String secret) {

  public RegistryAuth {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(secret, "secret");
  }

  /** {@code host[:port]}, lowercase, without scheme or path. */
  public String hostAndPort() {
    String value = registry.trim().toLowerCase(Locale.ROOT);
    int scheme = value.indexOf("://");
    if (scheme >= 0) {
      value = value.substring(scheme + 3);
    }
    int slash = value.indexOf('/');
    return slash >= 0 ? value.substring(0, slash) : value;
  }

  /**
   * Whether this credential may be sent to {@code host} on {@code port}: the host must be the one
   * it was stored for, so a request cannot send a stored secret to a server of its choosing. A
   * credential stored without a port matches any port of its host.
   */
  public boolean belongsTo(String host, int port) {
    String mine = hostAndPort();
    String target = host.toLowerCase(Locale.ROOT);
    if (target.contains(":") && !target.startsWith("[")) {
      target = "[" + target + "]";
    }
    if (mine.equals(target)) {
      return true;
    }
    return port > 0 && mine.equals(target + ":" + port);
  }

  /** As {@link #belongsTo(String, int)} for the host of a URL. */
  public boolean belongsTo(URI uri) {
    return uri.getHost() != null && belongsTo(uri.getHost(), uri.getPort());
  }

  // The secret stays out of every string form: records print all their fields otherwise.
  @Override
  public String toString() {
    return "RegistryAuth[registry=" + registry + ", username=" + username + ", secret=****]";
  }
}
