package dev.slipway.gateway.edge;

import static org.awaitility.Awaitility.await;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.RedisPrefix;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An edge router deployed on its own Vert.x against the shared test Redis (or a given one), under a
 * random key prefix and instance id, with helpers that act as the deployer (route switches) and as
 * clients and upstreams.
 */
final class EdgeFixture implements AutoCloseable {

  static final Duration DEADLINE = Duration.ofSeconds(10);
  static final String DOMAIN = "localhost";

  final Vertx vertx = Vertx.vertx();
  final SlipwayConfig config;
  final RedisKeys keys;
  final Redis redis;
  final Edge edge;
  final HttpClient client;
  private final Context clientContext;
  private final List<HttpServer> upstreams = new ArrayList<>();

  EdgeFixture(EdgeConfig edgeConfig) throws Exception {
    this(edgeConfig, RedisServer.url());
  }

  EdgeFixture(EdgeConfig edgeConfig, String redisUrl) throws Exception {
    Map<String, String> env = new HashMap<>();
    int[] ports = LoopbackPorts.free(2);
    env.put("SLIPWAY_HTTP_PORT", String.valueOf(ports[0]));
    env.put("SLIPWAY_EDGE_PORT", String.valueOf(ports[1]));
    env.put("SLIPWAY_DOMAIN", DOMAIN);
    env.put("SLIPWAY_REDIS_URL", redisUrl);
    env.put("SLIPWAY_KEY_PREFIX", RedisServer.randomKeyPrefix());
    env.put("SLIPWAY_INSTANCE_ID", "edge-it-" + UUID.randomUUID().toString().substring(0, 8));
    config = SlipwayConfig.from(new Env(env));
    keys = new RedisKeys(config.keyPrefix());
    redis = RedisClients.create(vertx, redisUrl);
    edge = Edge.deploy(vertx, config, redis, edgeConfig).await(30, TimeUnit.SECONDS);
    clientContext = vertx.getOrCreateContext();
    client =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(8));
  }

  EdgeFixture() throws Exception {
    this(EdgeConfig.defaults().withInstances(2));
  }

  int port() {
    return config.edgePort();
  }

  // --- the deployer's side of the contract ---

  /** HSET routes + INCR version + PUBLISH version, as the deployer switches a route. */
  long publishRoute(String app, Upstream upstream) throws Exception {
    redis(Request.cmd(Command.HSET).arg(keys.routes()).arg(app).arg(upstream.toString()));
    return bumpAndPublish();
  }

  /** {@link #publishRoute}, then waits until the edge serves that version. */
  long route(String app, Upstream upstream) throws Exception {
    long version = publishRoute(app, upstream);
    await("routes version " + version + " applied")
        .atMost(DEADLINE)
        .until(() -> edge.routes().version() >= version);
    return version;
  }

  long bumpAndPublish() throws Exception {
    long version = redis(Request.cmd(Command.INCR).arg(keys.routesVersion())).toLong();
    redis(Request.cmd(Command.PUBLISH).arg(keys.routesChannel()).arg(version));
    return version;
  }

  /** This edge's report as a map; empty when absent. */
  Map<String, String> report() throws Exception {
    Response reply = redis(Request.cmd(Command.HGETALL).arg(keys.edge(config.instanceId())));
    Map<String, String> out = new LinkedHashMap<>();
    if (reply == null) {
      return out;
    }
    if (reply.isMap()) {
      reply.getKeys().forEach(k -> out.put(k, reply.get(k).toString()));
    } else {
      for (int i = 0; i + 1 < reply.size(); i += 2) {
        out.put(reply.get(i).toString(), reply.get(i + 1).toString());
      }
    }
    return out;
  }

  /** In flight to {@code upstream} per the report: an absent field is zero. */
  int reportedInFlight(Map<String, String> report, Upstream upstream) {
    return Integer.parseInt(report.getOrDefault(EdgeReporter.INFLIGHT_PREFIX + upstream, "0"));
  }

  long reportedVersion(Map<String, String> report) {
    return Long.parseLong(report.getOrDefault(EdgeReporter.VERSION, "-1"));
  }

  /** The drain condition the deployer waits for. */
  boolean drained(long version, Upstream old) throws Exception {
    Map<String, String> report = report();
    return reportedVersion(report) >= version && reportedInFlight(report, old) == 0;
  }

  Response redis(Request request) throws Exception {
    return redis.send(request).await(10, TimeUnit.SECONDS);
  }

  // --- clients ---

  record Reply(int status, MultiMap headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /**
   * A request through the edge with {@code Host: host}. Sent from one event-loop context: a Vert.x
   * client driven from test threads picks a new context per request, and a response crossing event
   * loops that way was seen to lose its end now and then.
   */
  Future<Reply> send(HttpMethod method, String host, String uri, MultiMap headers, String body) {
    Promise<Reply> reply = Promise.promise();
    clientContext.runOnContext(v -> exchange(method, host, uri, headers, body).onComplete(reply));
    return reply.future().timeout(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs {@code action} on the client's context, for tests that drive the client themselves. */
  void onClientContext(Runnable action) {
    clientContext.runOnContext(v -> action.run());
  }

  private Future<Reply> exchange(
      HttpMethod method, String host, String uri, MultiMap headers, String body) {
    return client
        .request(new RequestOptions().setHost("127.0.0.1").setPort(port()).setMethod(method))
        .compose(
            request -> {
              request.setURI(uri);
              request.authority(HostAndPort.create(host, port()));
              if (headers != null) {
                request.headers().addAll(headers);
              }
              return body == null ? request.send() : request.send(body);
            })
        .compose(
            response ->
                response
                    .body()
                    .map(b -> new Reply(response.statusCode(), response.headers(), b.toString())));
  }

  Reply get(String host, String uri) throws Exception {
    return send(HttpMethod.GET, host, uri, null, null).await();
  }

  // --- upstreams ---

  /** A Vert.x upstream on 127.0.0.1 that answers every request with {@code handler}. */
  Upstream upstream(Consumer<HttpServerRequest> handler) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(handler::accept);
    return listen(server);
  }

  Upstream listen(HttpServer server) throws Exception {
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    synchronized (upstreams) {
      upstreams.add(server);
    }
    return new Upstream("127.0.0.1", server.actualPort());
  }

  /** An upstream that echoes what it received as JSON: its name, method, URI, headers and body. */
  Upstream echo(String name) throws Exception {
    return upstream(
        request ->
            request
                .body()
                .onSuccess(
                    body -> {
                      JsonObject headers = new JsonObject();
                      request
                          .headers()
                          .forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
                      request
                          .response()
                          .putHeader("content-type", "application/json")
                          .end(
                              new JsonObject()
                                  .put("name", name)
                                  .put("method", request.method().name())
                                  .put("uri", request.uri())
                                  .put("headers", headers)
                                  .put("body", body.toString())
                                  .encode());
                    }));
  }

  /** Stops an upstream the way a stopped container does: every connection closed at once. */
  void stop(Upstream upstream) throws Exception {
    HttpServer found = null;
    synchronized (upstreams) {
      for (HttpServer server : upstreams) {
        if (server.actualPort() == upstream.port()) {
          found = server;
        }
      }
      upstreams.remove(found);
    }
    if (found != null) {
      found.close().await(10, TimeUnit.SECONDS);
    }
  }

  static Buffer buffer(String s) {
    return Buffer.buffer(s);
  }

  @Override
  public void close() throws Exception {
    try {
      edge.undeploy().await(10, TimeUnit.SECONDS);
      RedisPrefix.delete(redis, keys.prefix());
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
