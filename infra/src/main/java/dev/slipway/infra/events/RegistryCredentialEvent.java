package dev.slipway.infra.events;

import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

/**
 * A registry credential on the compacted {@code slipway.registry.credentials} topic, keyed by
 * credential name; published by the gateway, read by the builder (push, base-image pulls) and the
 * deployer (image pulls). A tombstone ({@link CloudEventCodec#tombstone}) deletes the credential.
 */
public sealed interface RegistryCredentialEvent extends SlipwayEvent {

  /** The credential's name, which build requests refer to. */
  String name();

  /** The Kafka record key: the credential name. */
  @Override
  default String key() {
    return name();
  }

  /**
   * A credential was created or replaced; emitted by the gateway. The secret is only ever here
   * encrypted.
   *
   * @param name the credential's name, see {@link Names#ID_REGEX}
   * @param registry the registry host, e.g. {@code ghcr.io} or {@code registry.local:5000}
   * @param username the registry user name
   * @param secretCiphertext base64 of the AES-GCM nonce followed by the ciphertext and tag of the
   *     password or token; never the plain secret
   * @param keyId which data key encrypted it, so keys can rotate
   */
  @EventType(EventTypes.REGISTRY_CREDENTIAL_STORED)
  record RegistryCredentialStored(
      String name,
      String registry,
      String username,
      String secretCiphertext,
      String keyId,
      Instant at)
      implements RegistryCredentialEvent {

    /** A 12-byte GCM nonce plus a 16-byte tag: anything shorter cannot be a ciphertext. */
    public static final int MIN_CIPHERTEXT_BYTES = 12 + 16;

    public RegistryCredentialStored {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(registry, "registry");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(secretCiphertext, "secretCiphertext");
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(at, "at");
      byte[] sealed;
      try {
        sealed = Base64.getDecoder().decode(secretCiphertext);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("secretCiphertext is not base64", e);
      }
      if (sealed.length < MIN_CIPHERTEXT_BYTES) {
        // Deliberately does not echo the value: it might be a plain secret put here by mistake.
        throw new IllegalArgumentException(
            "secretCiphertext is too short to be an AES-GCM nonce and ciphertext");
      }
    }

    // Leaves the ciphertext out: log lines print events, and a sealed secret has no business there.
    @Override
    public String toString() {
      return "RegistryCredentialStored[name="
          + name
          + ", registry="
          + registry
          + ", username="
          + username
          + ", keyId="
          + keyId
          + ", at="
          + at
          + "]";
    }
  }
}
