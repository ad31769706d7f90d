package dev.slipway.builder;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Masks a build's secrets in its output: whatever a Dockerfile or a server echoes, the registry
 * password or git token never reaches the log topic in plain text.
 */
final class Redactor {

  static final String MASK = "****";

  private final Set<String> secrets = ConcurrentHashMap.newKeySet();

  /** Masks {@code secret} from now on; very short values are ignored (they would mask noise). */
  void add(String secret) {
    if (secret != null && secret.length() >= 4) {
      secrets.add(secret);
    }
  }

  String apply(String text) {
    String result = text;
    for (String secret : secrets) {
      if (result.contains(secret)) {
        result = result.replace(secret, MASK);
      }
    }
    return result;
  }
}
