package dev.slipway.gateway.edge;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where an app's traffic goes: {@code host:port} as the deployer writes it into the routes hash,
 * normally {@code 127.0.0.1:<published port>}; a DNS name (a container name on a shared Docker
 * network) works the same way.
 */
public record Upstream(String host, int port) {

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})");

  public Upstream {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("upstream port must be 1..65535, not " + port);
    }
  }

  /** The upstream named by {@code host:port} ({@code [v6]:port} for IPv6), empty if malformed. */
  public static Optional<Upstream> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    Matcher m = HOST_PORT.matcher(value.trim());
    if (!m.matches()) {
      return Optional.empty();
    }
    int port = Integer.parseInt(m.group(3));
    if (port < 1 || port > 65535) {
      return Optional.empty();
    }
    String host = m.group(1);
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    return Optional.of(new Upstream(host, port));
  }

  /** {@code host:port}, the form routes and edge reports use. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
