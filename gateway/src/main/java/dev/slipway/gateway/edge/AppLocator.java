package dev.slipway.gateway.edge;

import dev.slipway.infra.events.Names;
import java.util.Locale;

/**
 * Finds the app a request is for: {@code Host: <app>.<domain>} (any port) first, then the path
 * prefix {@code /apps/<app>/}, which is stripped and passed on as {@code X-Forwarded-Prefix}.
 */
final class AppLocator {

  static final String PATH_PREFIX = "/apps/";

  private final String hostSuffix;

  AppLocator(String domain) {
    this.hostSuffix = "." + domain.toLowerCase(Locale.ROOT);
  }

  /**
   * The app and the URI its upstream sees.
   *
   * @param prefix the stripped path prefix ({@code /apps/<app>}), {@code null} when found by host
   */
  record Located(String app, String uri, String prefix) {}

  /**
   * @param host the request's host without port, {@code null} when it named none
   * @param uri the request's path and query
   * @return the app, or {@code null} when the request names none
   */
  Located locate(String host, String uri) {
    if (host != null) {
      String h = host.toLowerCase(Locale.ROOT);
      if (h.endsWith(".")) {
        h = h.substring(0, h.length() - 1);
      }
      if (h.endsWith(hostSuffix)) {
        String app = h.substring(0, h.length() - hostSuffix.length());
        if (Names.isValidApp(app)) {
          return new Located(app, uri, null);
        }
      }
    }
    if (!uri.startsWith(PATH_PREFIX)) {
      return null;
    }
    int end = PATH_PREFIX.length();
    while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
      end++;
    }
    String app = uri.substring(PATH_PREFIX.length(), end);
    if (!Names.isValidApp(app)) {
      return null;
    }
    String rest = uri.substring(end);
    // "/apps/x" and "/apps/x?q" are the app's root.
    String upstreamUri = rest.startsWith("/") ? rest : "/" + rest;
    return new Located(app, upstreamUri, uri.substring(0, end));
  }
}
