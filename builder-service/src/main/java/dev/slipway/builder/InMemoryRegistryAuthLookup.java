package dev.slipway.builder;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Credentials held in this process's memory: what the builder uses until it is wired to the shared
 * credential store, and what tests put their credentials in.
 */
public final class InMemoryRegistryAuthLookup implements RegistryAuthLookup {

  private final Map<String, RegistryAuth> byName = new ConcurrentHashMap<>();

  public InMemoryRegistryAuthLookup put(String name, RegistryAuth auth) {
    byName.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(auth, "auth"));
    return this;
  }

  public void remove(String name) {
    byName.remove(name);
  }

  @Override
  public Optional<RegistryAuth> find(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(byName.get(name));
  }
}
