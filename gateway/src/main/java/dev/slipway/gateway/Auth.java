package dev.slipway.gateway;

import dev.slipway.infra.config.ApiToken;
import dev.slipway.infra.config.ApiToken.Scope;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;

/**
 * Bearer-token authentication and scope checks for {@code /api/v1}. Tokens are compared as SHA-256
 * digests with {@link MessageDigest#isEqual} against every configured token, so the time taken
 * tells nothing about how much of a token matched, nor which one.
 */
final class Auth {

  /** The query parameter SSE clients may carry the token in (EventSource cannot set headers). */
  static final String ACCESS_TOKEN_PARAM = "access_token";

  private static final String CHALLENGE = "Bearer realm=\"slipway\"";

  private record Known(byte[] digest, Scope scope) {}

  private final List<Known> tokens;

  Auth(List<ApiToken> tokens) {
    this.tokens = tokens.stream().map(t -> new Known(digest(t.token()), t.scope())).toList();
  }

  /** A handler that lets the request on only with a token of {@code scope} (write implies read). */
  Handler<RoutingContext> require(Scope scope, boolean allowQueryToken) {
    return ctx -> {
      String presented = bearer(ctx.request().getHeader("Authorization"));
      if (presented == null && allowQueryToken) {
        presented = ctx.request().getParam(ACCESS_TOKEN_PARAM);
      }
      if (presented == null || presented.isEmpty()) {
        ctx.response().putHeader("WWW-Authenticate", CHALLENGE);
        new Problem(
                401,
                "Unauthorized",
                "this route needs a bearer token: Authorization: Bearer <token>",
                null)
            .send(ctx.response());
        return;
      }
      Scope granted = match(presented);
      if (granted == null) {
        ctx.response().putHeader("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\"");
        new Problem(401, "Unauthorized", "the bearer token is not known", null)
            .send(ctx.response());
        return;
      }
      if (!granted.allows(scope)) {
        ctx.response().putHeader("WWW-Authenticate", CHALLENGE + ", error=\"insufficient_scope\"");
        new Problem(
                403,
                "Forbidden",
                "this route changes something and needs a write token; this one may only read",
                null)
            .send(ctx.response());
        return;
      }
      ctx.next();
    };
  }

  // Checks every token, whatever matched, so timing does not reveal the position of a match.
  private Scope match(String presented) {
    byte[] digest = digest(presented);
    Scope found = null;
    for (Known known : tokens) {
      if (MessageDigest.isEqual(known.digest, digest) && found == null) {
        found = known.scope;
      }
    }
    return found;
  }

  private static String bearer(String header) {
    if (header == null) {
      return null;
    }
    String trimmed = header.trim();
    if (trimmed.length() < 7
        || !trimmed.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return null;
    }
    return trimmed.substring(7).trim();
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
