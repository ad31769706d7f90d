package dev.slipway.builder;

import dev.slipway.infra.events.BuildFailureReason;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Decides whether the builder may clone a repository URL. The gateway checks URLs too; the builder
 * checks again because it is the one that connects, and commands can reach Kafka by other paths.
 *
 * <p>Refused: other schemes than the allowed ones ({@code SLIPWAY_GIT_SCHEMES}), scp-style and
 * local paths, remote helpers ({@code ext::}), values that look like command-line options,
 * credentials inside the URL, and hosts that are or resolve into the deny list.
 */
final class GitUrlPolicy {

  /** A URL that passed the checks. */
  record Remote(URI uri, String host, int port) {
    /** The URL as shown to people: no query or fragment (there is never userinfo). */
    String display() {
      return uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath();
    }

    @Override
    public String toString() {
      return display();
    }
  }

  private final Set<String> schemes;
  private final HostDenyList deny;

  GitUrlPolicy(Set<String> schemes, List<String> denyHosts) {
    this.schemes = Set.copyOf(schemes);
    this.deny = HostDenyList.parse(denyHosts);
  }

  /** The URL's shape: scheme, host, no credentials. Cheap; no lookups. */
  Remote check(String url) {
    if (url == null || url.isBlank()) {
      throw refused("the repository URL is empty");
    }
    if (url.startsWith("-")) {
      throw refused("the repository URL must not start with '-'");
    }
    if (url.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      throw refused("the repository URL must not contain spaces or control characters");
    }
    int helper = url.indexOf("::");
    int scheme = url.indexOf("://");
    // <transport>::<address> runs a remote helper; "::" after "://" is an IPv6 host.
    if (helper >= 0 && (scheme < 0 || helper < scheme)) {
      throw refused("remote helpers such as ext:: are not allowed; use " + allowed() + " URLs");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw refused(
          "'" + url + "' is not a valid URL; use one such as https://host/owner/repo.git");
    }
    String name = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (name == null || !uri.isAbsolute() || uri.isOpaque()) {
      throw refused(
          "the repository must be a URL such as https://host/owner/repo.git;"
              + " scp-style addresses and local paths are not allowed");
    }
    if (!schemes.contains(name)) {
      throw refused(
          "URL scheme '"
              + name
              + "' is not allowed; allowed: "
              + allowed()
              + " (SLIPWAY_GIT_SCHEMES)");
    }
    if (uri.getRawUserInfo() != null) {
      // The URL is not repeated: the part before '@' may be a secret.
      throw refused(
          "the repository URL must not contain credentials; store them as a credential and name"
              + " it in git_credential");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw refused("the repository URL '" + url + "' has no host");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    Remote remote = new Remote(uri, host, uri.getPort());
    Optional<String> denied = deny.deniedName(host);
    if (denied.isPresent()) {
      throw refused(
          "host '" + host + "' is not allowed (SLIPWAY_GIT_DENY_HOSTS: " + denied.get() + ")");
    }
    return remote;
  }

  /**
   * Resolves the host and refuses it when any address is in the deny list; blocks up to {@code
   * timeout} on the resolver.
   */
  void checkAddresses(Remote remote, Duration timeout) {
    InetAddress[] addresses;
    if (HostDenyList.isAddressLiteral(remote.host())) {
      addresses = new InetAddress[] {HostDenyList.literal(remote.host())};
    } else {
      addresses = resolve(remote, timeout);
    }
    for (InetAddress address : addresses) {
      Optional<String> range = deny.deniedAddress(address);
      if (range.isPresent()) {
        throw refused(
            "host '"
                + remote.host()
                + "' resolves to "
                + address.getHostAddress()
                + ", which is not allowed (SLIPWAY_GIT_DENY_HOSTS: "
                + range.get()
                + ")");
      }
    }
  }

  private static InetAddress[] resolve(Remote remote, Duration timeout) {
    // The JDK resolver has no timeout of its own.
    FutureTask<InetAddress[]> lookup =
        new FutureTask<>(() -> InetAddress.getAllByName(remote.host()));
    Thread.ofVirtual().name("slipway-resolve").start(lookup);
    try {
      return lookup.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      lookup.cancel(true);
      throw new BuildFailure(
          BuildFailureReason.CLONE_FAILED,
          "cannot resolve host '" + remote.host() + "' within " + timeout.toSeconds() + " s");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownHostException) {
        throw new BuildFailure(
            BuildFailureReason.CLONE_FAILED,
            "unknown host '" + remote.host() + "' in " + remote.display() + ": check the URL");
      }
      throw new BuildFailure(
          BuildFailureReason.CLONE_FAILED,
          "cannot resolve host '" + remote.host() + "': " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BuildFailure(BuildFailureReason.CLONE_FAILED, "interrupted while resolving");
    }
  }

  private String allowed() {
    return String.join(", ", schemes.stream().sorted().toList());
  }

  private static BuildFailure refused(String message) {
    return new BuildFailure(BuildFailureReason.CLONE_FAILED, message);
  }
}
