package dev.slipway.deployer;

import dev.slipway.infra.secrets.CredentialStore;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Keeps the registry credentials in memory for pulls: deployed once caught up with the topic. */
final class CredentialReaderVerticle extends VerticleBase {

  private final CredentialStore store;

  CredentialReaderVerticle(CredentialStore store) {
    this.store = store;
  }

  @Override
  public Future<?> start() {
    return store.start();
  }

  @Override
  public Future<?> stop() {
    // close() joins the reader thread: not on an event loop.
    return Blocking.run(
        vertx,
        () -> {
          store.close();
          return null;
        });
  }
}
