package dev.slipway.infra.health;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Serves {@code /health} for a service that has no HTTP API of its own. */
public final class HealthVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(HealthVerticle.class);

  private final Health health;
  private final String host;
  private final int port;
  private HttpServer server;

  public HealthVerticle(Health health, String host, int port) {
    this.health = health;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    health.mount(router);
    return vertx
        .createHttpServer()
        .requestHandler(router)
        .listen(port, host)
        .onSuccess(
            s -> {
              server = s;
              log.info("health endpoint up url=http://{}:{}/health", host, s.actualPort());
            });
  }

  /** The bound port, useful when configured as 0. */
  public int actualPort() {
    return server.actualPort();
  }
}
