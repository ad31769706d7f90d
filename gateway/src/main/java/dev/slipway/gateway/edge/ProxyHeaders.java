package dev.slipway.gateway.edge;

import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The header rules of a reverse proxy (RFC 9110 section 7.6.1) and the X-Forwarded-* headers. */
final class ProxyHeaders {

  /** Headers that belong to one connection, never passed on. */
  static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade");

  static final String X_FORWARDED_FOR = "X-Forwarded-For";
  static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  static final String X_FORWARDED_PREFIX = "X-Forwarded-Prefix";

  private ProxyHeaders() {}

  /**
   * Copies end-to-end request headers. The host travels as the request's authority; {@code Expect}
   * is answered by the edge itself. For a WebSocket upgrade, {@code Upgrade} and {@code Connection:
   * Upgrade} are kept: the upstream must see the handshake.
   */
  static void copyRequest(MultiMap from, MultiMap to, boolean upgrade) {
    Set<String> skip = connectionTokens(from);
    skip.add("host");
    skip.add("expect");
    copy(from, to, skip);
    if (upgrade) {
      to.set("Upgrade", from.get("Upgrade"));
      to.set("Connection", "Upgrade");
    }
  }

  /** Copies end-to-end response headers; the edge frames the body itself. */
  static void copyResponse(MultiMap from, MultiMap to) {
    copy(from, to, connectionTokens(from));
  }

  /**
   * Sets X-Forwarded-*: the client's address appended to any earlier {@code X-Forwarded-For}; the
   * scheme, host and stripped prefix as this edge saw them, replacing what a client may have sent.
   */
  static void forwarded(
      MultiMap to, String clientAddress, String proto, String host, String prefix) {
    String earlier = to.get(X_FORWARDED_FOR);
    if (clientAddress != null) {
      to.set(
          X_FORWARDED_FOR,
          earlier == null || earlier.isBlank() ? clientAddress : earlier + ", " + clientAddress);
    }
    to.set(X_FORWARDED_PROTO, proto);
    if (host != null) {
      to.set(X_FORWARDED_HOST, host);
    } else {
      to.remove(X_FORWARDED_HOST);
    }
    if (prefix != null) {
      to.set(X_FORWARDED_PREFIX, prefix);
    } else {
      to.remove(X_FORWARDED_PREFIX);
    }
  }

  private static void copy(MultiMap from, MultiMap to, Set<String> skip) {
    for (Map.Entry<String, String> header : from) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (!HOP_BY_HOP.contains(name) && !skip.contains(name)) {
        to.add(header.getKey(), header.getValue());
      }
    }
  }

  // Connection: close, x-private names further headers that are hop-by-hop for this message.
  private static Set<String> connectionTokens(MultiMap headers) {
    Set<String> tokens = new HashSet<>();
    for (String value : headers.getAll("connection")) {
      for (String token : value.split(",")) {
        String t = token.trim().toLowerCase(Locale.ROOT);
        if (!t.isEmpty()) {
          tokens.add(t);
        }
      }
    }
    return tokens;
  }
}
