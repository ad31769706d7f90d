package dev.slipway.infra.secrets;

import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Runs the credential store's reader: deployed once it has caught up with the topic. */
public final class CredentialStoreVerticle extends VerticleBase {

  private final CredentialStore store;

  public CredentialStoreVerticle(CredentialStore store) {
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
