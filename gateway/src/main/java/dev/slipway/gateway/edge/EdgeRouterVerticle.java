package dev.slipway.gateway.edge;

import dev.slipway.gateway.Problem;
import dev.slipway.infra.redis.RedisKeys;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.Pipe;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge router on {@code SLIPWAY_EDGE_PORT}: app traffic in, proxied to the app's upstream.
 *
 * <p>A request is routed once, when it arrives, and counted in flight to that upstream until its
 * response (or its upgraded connection) has ended; a route change under way does not move it. The
 * count is taken before the route is confirmed still current, so once a report shows a new version
 * and zero in flight for the old upstream, nothing can still go there (see {@link EdgeReporter}).
 *
 * <p>Bodies stream through with backpressure both ways, so SSE events pass as they are written;
 * WebSocket upgrades become a raw tunnel once the upstream has switched protocols. Upstream
 * connections are pooled and kept alive per upstream.
 */
public final class EdgeRouterVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(EdgeRouterVerticle.class);

  /**
   * Methods safe to send twice: retried once when the upstream connection failed before any byte of
   * a response came back.
   */
  private static final Set<HttpMethod> RETRYABLE =
      Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final int port;
  private final String domain;
  private final RouteTable routes;
  private final InFlight inFlight;
  private final Redis redis;
  private final RedisKeys keys;
  private final EdgeConfig config;
  private final AppLocator locator;
  private HttpClient client;
  private HttpServer server;

  public EdgeRouterVerticle(
      int port,
      String domain,
      RouteTable routes,
      InFlight inFlight,
      Redis redis,
      RedisKeys keys,
      EdgeConfig config) {
    this.port = port;
    this.domain = domain;
    this.routes = routes;
    this.inFlight = inFlight;
    this.redis = redis;
    this.keys = keys;
    this.config = config;
    this.locator = new AppLocator(domain);
  }

  @Override
  public Future<?> start() {
    client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setKeepAlive(true)
                .setKeepAliveTimeout(30)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false),
            new PoolOptions()
                .setHttp1MaxSize(config.maxConnectionsPerUpstream())
                .setMaxWaitQueueSize(config.maxConnectionsPerUpstream() * 4));
    server =
        vertx
            .createHttpServer(
                new HttpServerOptions()
                    .setTcpNoDelay(true)
                    .setCompressionSupported(false)
                    .setHandle100ContinueAutomatically(true))
            .requestHandler(this::handle);
    return server
        .listen(port)
        .onSuccess(s -> log.debug("edge router up port={} domain={}", s.actualPort(), domain));
  }

  private void handle(HttpServerRequest request) {
    // Nothing of the body may arrive before the upstream request can take it.
    request.pause();
    HostAndPort authority = request.authority();
    String uri = request.uri().startsWith("/") ? request.uri() : pathAndQuery(request);
    AppLocator.Located located = locator.locate(authority == null ? null : authority.host(), uri);
    if (located == null) {
      String host = authority == null ? "" : authority.host();
      reject(
          request,
          Problem.notFound(
              "no app answers at "
                  + host
                  + request.path()
                  + "; apps answer at <app>."
                  + domain
                  + " or under /apps/<app>/"));
      return;
    }
    InFlight.Lease lease = route(located.app());
    if (lease == null) {
      unrouted(request, located.app());
      return;
    }
    new Exchange(request, located, lease).send(1);
  }

  /** Counts a request to the app's upstream, or returns {@code null} when the app has no route. */
  private InFlight.Lease route(String app) {
    while (true) {
      Routes table = routes.current();
      Upstream upstream = table.upstream(app);
      if (upstream == null) {
        return null;
      }
      InFlight.Lease lease = inFlight.acquire(upstream);
      // Counted first, confirmed second: a report taken after a newer table was applied either
      // sees this count or sees the request go by the newer table.
      if (routes.current() == table) {
        return lease;
      }
      lease.release();
    }
  }

  /** No route: 404 for an app nobody deployed, 503 for a known app without a live upstream. */
  private void unrouted(HttpServerRequest request, String app) {
    redis
        .send(Request.cmd(Command.SISMEMBER).arg(keys.apps()).arg(app))
        .timeout(config.redisTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result() != null && ar.result().toInteger() == 0) {
                reject(request, Problem.notFound("no app named " + app));
              } else {
                unavailable(request, "app " + app + " has no live upstream; retry shortly");
              }
            });
  }

  private void unavailable(HttpServerRequest request, String detail) {
    if (!request.response().headWritten()) {
      request
          .response()
          .putHeader(HttpHeaders.RETRY_AFTER, Long.toString(config.retryAfter().toSeconds()));
    }
    reject(request, Problem.unavailable(detail));
  }

  private static void reject(HttpServerRequest request, Problem problem) {
    // Read and drop any body, so the connection can carry the next request.
    request.resume();
    problem.send(request.response());
  }

  private static String pathAndQuery(HttpServerRequest request) {
    String path = request.path() == null || request.path().isEmpty() ? "/" : request.path();
    return request.query() == null ? path : path + "?" + request.query();
  }

  /** One request on its way to its pinned upstream and back. */
  private final class Exchange {
    final HttpServerRequest request;
    final HttpServerResponse response;
    final AppLocator.Located located;
    final InFlight.Lease lease;
    final Upstream upstream;
    HttpClientRequest upstreamRequest;
    boolean timedOut;

    Exchange(HttpServerRequest request, AppLocator.Located located, InFlight.Lease lease) {
      this.request = request;
      this.response = request.response();
      this.located = located;
      this.lease = lease;
      this.upstream = lease.upstream();
      // A client gone mid-response frees the upstream connection and the count.
      response.closeHandler(
          v -> {
            if (upstreamRequest != null && !response.ended()) {
              upstreamRequest.reset();
            }
            lease.release();
          });
    }

    void send(int attempt) {
      RequestOptions options =
          new RequestOptions()
              .setMethod(request.method())
              .setHost(upstream.host())
              .setPort(upstream.port())
              .setURI(located.uri())
              .setConnectTimeout(config.connectTimeout().toMillis());
      client
          .request(options)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  failed(ar.cause());
                } else if (request.canUpgradeToWebSocket()) {
                  upgrade(ar.result());
                } else {
                  forward(ar.result(), attempt);
                }
              });
    }

    private void prepare(HttpClientRequest out, boolean upgrade) {
      upstreamRequest = out;
      // Failures reach the response Future; this keeps them out of the error log.
      out.exceptionHandler(e -> log.debug("edge upstream request error=\"{}\"", e.toString()));
      ProxyHeaders.copyRequest(request.headers(), out.headers(), upgrade);
      SocketAddress client = request.remoteAddress();
      ProxyHeaders.forwarded(
          out.headers(),
          client == null ? null : client.hostAddress(),
          request.scheme() == null ? "http" : request.scheme(),
          request.headers().get(HttpHeaders.HOST),
          located.prefix());
      HostAndPort authority = request.authority();
      out.authority(
          authority != null ? authority : HostAndPort.create(upstream.host(), upstream.port()));
    }

    private void forward(HttpClientRequest out, int attempt) {
      prepare(out, false);
      long timer =
          vertx.setTimer(
              config.upstreamTimeout().toMillis(),
              t -> {
                timedOut = true;
                out.reset();
              });
      Future<HttpClientResponse> answer;
      if (hasBody()) {
        if (!request.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
          out.setChunked(true);
        }
        answer = out.send(request);
      } else {
        request.resume();
        answer = out.send();
      }
      answer.onComplete(
          ar -> {
            vertx.cancelTimer(timer);
            if (ar.succeeded()) {
              respond(ar.result());
            } else if (attempt == 1 && retryable(ar.cause())) {
              retry(ar.cause());
            } else {
              failed(ar.cause());
            }
          });
    }

    private boolean hasBody() {
      return request.headers().contains(HttpHeaders.CONTENT_LENGTH)
          ? !"0".equals(request.getHeader(HttpHeaders.CONTENT_LENGTH))
          : request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    }

    // The connection closed or was reset before any response byte: a kept-alive connection the
    // upstream closed as the request went out, or an upstream going away (a container being
    // replaced). A body-less safe request can go again on another connection, as nginx's
    // proxy_next_upstream and Envoy's reset retries do. A timeout is not retried: the upstream
    // may be working on it.
    private boolean retryable(Throwable cause) {
      return !timedOut
          && (cause instanceof HttpClosedException || cause instanceof IOException)
          && RETRYABLE.contains(request.method())
          && !hasBody()
          && !response.headWritten()
          && !response.closed();
    }

    /**
     * The second try goes by the route table as it is now: when a deploy switched the app while
     * this request was on its way to the old upstream, it lands on the new one. The new count is
     * taken before the old one is released, so a drain never sees the request in neither.
     */
    private void retry(Throwable cause) {
      log.debug(
          "edge retrying app={} upstream={} error=\"{}\"",
          located.app(),
          upstream,
          cause.toString());
      InFlight.Lease next = route(located.app());
      lease.release();
      if (next == null) {
        unrouted(request, located.app());
        return;
      }
      new Exchange(request, located, next).send(2);
    }

    private void respond(HttpClientResponse in) {
      response.setStatusCode(in.statusCode());
      if (in.statusMessage() != null) {
        response.setStatusMessage(in.statusMessage());
      }
      ProxyHeaders.copyResponse(in.headers(), response.headers());
      if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH)
          && request.version() != HttpVersion.HTTP_1_0
          && mayHaveBody(in.statusCode())) {
        response.setChunked(true);
      }
      Pipe<Buffer> pipe = in.pipe();
      // A broken upstream body must reach the client as a broken response, not a short one.
      pipe.endOnFailure(false);
      pipe.to(response)
          .onComplete(
              done -> {
                if (done.failed()) {
                  log.debug(
                      "edge stream cut app={} upstream={} error=\"{}\"",
                      located.app(),
                      upstream,
                      done.cause().toString());
                  upstreamRequest.reset();
                  response.reset();
                }
                lease.release();
              });
    }

    private boolean mayHaveBody(int status) {
      return request.method() != HttpMethod.HEAD && status >= 200 && status != 204 && status != 304;
    }

    private void upgrade(HttpClientRequest out) {
      prepare(out, true);
      long timer =
          vertx.setTimer(
              config.upstreamTimeout().toMillis(),
              t -> {
                timedOut = true;
                out.reset();
              });
      // connect() sends the handshake whole; a handshake has no body to pass on.
      Future<HttpClientResponse> answer = out.connect();
      request.resume();
      answer.onComplete(
          ar -> {
            vertx.cancelTimer(timer);
            if (ar.failed()) {
              failed(ar.cause());
            } else if (ar.result().statusCode() != 101) {
              // The upstream declined the upgrade: its answer goes back as it is.
              respond(ar.result());
            } else {
              tunnel(ar.result());
            }
          });
    }

    private void tunnel(HttpClientResponse switched) {
      NetSocket upstreamSocket = switched.netSocket();
      response.setStatusCode(101);
      switched.headers().forEach(h -> response.headers().add(h.getKey(), h.getValue()));
      request
          .toNetSocket()
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  upstreamSocket.close();
                  lease.release();
                  return;
                }
                NetSocket clientSocket = ar.result();
                clientSocket.closeHandler(
                    v -> {
                      upstreamSocket.close();
                      lease.release();
                    });
                upstreamSocket.closeHandler(
                    v -> {
                      clientSocket.close();
                      lease.release();
                    });
                clientSocket.pipeTo(upstreamSocket);
                upstreamSocket.pipeTo(clientSocket);
              });
    }

    private void failed(Throwable cause) {
      lease.release();
      String app = located.app();
      log.debug("edge upstream failed app={} upstream={} error=\"{}\"", app, upstream, cause);
      if (timedOut) {
        reject(
            request,
            new Problem(
                504,
                "Gateway Timeout",
                "app "
                    + app
                    + ": upstream "
                    + upstream
                    + " did not answer within "
                    + config.upstreamTimeout().toMillis()
                    + " ms",
                null));
      } else if (cause instanceof ConnectionPoolTooBusyException) {
        unavailable(request, "app " + app + " is at its connection limit; retry shortly");
      } else if (cause instanceof TimeoutException) {
        unavailable(
            request,
            "app "
                + app
                + ": no connection to upstream "
                + upstream
                + " within "
                + config.connectTimeout().toMillis()
                + " ms; retry shortly");
      } else if (cause instanceof ConnectException) {
        reject(
            request,
            new Problem(
                502,
                "Bad Gateway",
                "app " + app + ": upstream " + upstream + " refused the connection",
                null));
      } else {
        reject(
            request,
            new Problem(
                502,
                "Bad Gateway",
                "app " + app + ": upstream " + upstream + " failed: " + cause.getMessage(),
                null));
      }
    }
  }
}
