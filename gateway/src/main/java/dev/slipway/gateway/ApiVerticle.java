package dev.slipway.gateway;

import dev.slipway.infra.health.Health;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gateway's HTTP server on {@code SLIPWAY_HTTP_PORT}: health now, the REST API next. */
public final class ApiVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);

  private final Health health;
  private final int port;

  public ApiVerticle(Health health, int port) {
    this.health = health;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    health.mount(router);
    router
        .route()
        .last()
        .handler(
            ctx ->
                new Problem(404, "Not Found", "no resource at " + ctx.request().path(), null)
                    .send(ctx.response()));
    router
        .route()
        .failureHandler(
            ctx -> {
              log.error("request failed path={}", ctx.request().path(), ctx.failure());
              new Problem(500, "Internal Server Error", "the request could not be served", null)
                  .send(ctx.response());
            });
    return vertx
        .createHttpServer()
        .requestHandler(router)
        .listen(port)
        .onSuccess(s -> log.info("api up port={}", s.actualPort()));
  }
}
