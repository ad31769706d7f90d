package dev.slipway.builder;

import java.util.Optional;

/**
 * Finds a stored credential by the name a build request refers to ({@code registry_credential},
 * {@code git_credential}). The builder calls it on a virtual thread, so an implementation may block
 * briefly (decrypting, reading a store), and must never log the secret.
 */
@FunctionalInterface
public interface RegistryAuthLookup {

  /** The credential named {@code name}, or empty when there is none. */
  Optional<RegistryAuth> find(String name);
}
