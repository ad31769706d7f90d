package dev.slipway.deployer;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link HealthProbe} with the Vert.x HTTP client. Probes go to 127.0.0.1 only (the published
 * port), never to a container's bridge address, and open a fresh connection each time so a pooled
 * connection to a replaced container cannot answer for the new one.
 */
public final class VertxHealthProbe implements HealthProbe, AutoCloseable {

  /** The loopback address every container port is published on. */
  public static final String HOST = "127.0.0.1";

  private final HttpClientAgent client;

  public VertxHealthProbe(Vertx vertx) {
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(false), new PoolOptions().setHttp1MaxSize(16));
  }

  @Override
  public Future<Result> check(int hostPort, String path, Duration timeout) {
    long ms = Math.max(1, timeout.toMillis());
    return client
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(HOST)
                .setPort(hostPort)
                .setURI(path)
                .setConnectTimeout(ms)
                .setIdleTimeout(ms)
                .putHeader("User-Agent", "slipway-deployer"))
        .compose(request -> request.send())
        .compose(
            response ->
                response
                    .body()
                    .map(
                        body -> {
                          int status = response.statusCode();
                          return new Result(status >= 200 && status < 400, "HTTP " + status);
                        }))
        .timeout(ms, TimeUnit.MILLISECONDS)
        .otherwise(error -> new Result(false, describe(error)));
  }

  private static String describe(Throwable error) {
    String message = error.getMessage();
    return error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public void close() {
    client.close();
  }
}
