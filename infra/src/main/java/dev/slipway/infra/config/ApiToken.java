package dev.slipway.infra.config;

import java.util.Locale;

/**
 * A bearer token and what it may do.
 *
 * @param token the secret; never logged, {@link #toString()} hides it
 * @param scope {@code read} or {@code write}; write implies read
 */
public record ApiToken(String token, Scope scope) {

  /** What a token may do. */
  public enum Scope {
    READ,
    WRITE;

    public boolean allows(Scope needed) {
      return this == WRITE || needed == READ;
    }
  }

  /** Parses one {@code token:scope} pair of {@code SLIPWAY_API_TOKENS}. */
  static ApiToken parse(String pair) {
    int colon = pair.lastIndexOf(':');
    if (colon <= 0 || colon == pair.length() - 1) {
      throw new ConfigException(
          "SLIPWAY_API_TOKENS", "entries are token:scope pairs, scope read or write");
    }
    String token = pair.substring(0, colon);
    String scope = pair.substring(colon + 1).toLowerCase(Locale.ROOT);
    if (token.length() < 16) {
      throw new ConfigException("SLIPWAY_API_TOKENS", "a token must have 16 characters or more");
    }
    return switch (scope) {
      case "read" -> new ApiToken(token, Scope.READ);
      case "write" -> new ApiToken(token, Scope.WRITE);
      default ->
          throw new ConfigException(
              "SLIPWAY_API_TOKENS", "scope '" + scope + "' is not one of read, write");
    };
  }

  @Override
  public String toString() {
    return "ApiToken[scope=" + scope + ", token=***]";
  }
}
