package dev.slipway.deployer;

import dev.slipway.deployer.engine.ImageRef;
import dev.slipway.infra.secrets.CredentialStore;
import dev.slipway.infra.secrets.CredentialStore.Credential;
import java.util.Locale;
import java.util.Optional;

/**
 * The stored registry credential to pull an image with: the one whose registry is the image's
 * registry host. Deploy specs name no credential, so the registry decides.
 */
@FunctionalInterface
public interface PullCredentials {

  Optional<Credential> forImage(String image);

  /** Never a credential: public images only. */
  static PullCredentials none() {
    return image -> Optional.empty();
  }

  /** Looks the image's registry up among the stored credentials. */
  static PullCredentials from(CredentialStore store) {
    return image -> {
      String registry = ImageRef.parse(image).registry();
      return store.list().stream()
          .filter(c -> normalize(c.registry()).equals(registry))
          .findFirst()
          .flatMap(c -> store.get(c.name()));
    };
  }

  private static String normalize(String registry) {
    String r = registry.toLowerCase(Locale.ROOT).replaceFirst("^https?://", "");
    r = r.replaceAll("/+$", "");
    return r.equals("index.docker.io") || r.equals("registry-1.docker.io")
        ? ImageRef.DOCKER_HUB
        : r;
  }
}
