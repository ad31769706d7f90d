package dev.slipway.gateway.edge;

import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The router-overhead part of {@code infra/slipway bench deploy}: latency and throughput of a
 * busybox httpd container on 127.0.0.1 through the edge router against the same container at its
 * published port, in the same run, alternating sides.
 *
 * <p>Each side gets a fixed number of keep-alive client connections ({@code bench.connections}),
 * each driven by one loop sending the next request when the last has answered, for a fixed time
 * ({@code bench.seconds}); {@code bench.rounds} rounds alternate the sides after one unrecorded
 * warm-up round. Targets: throughput at least 0.8x direct, p99 at most 1.5x direct.
 */
public final class RouterOverheadBench {

  private static final int CONNECTIONS = Integer.getInteger("bench.connections", 8);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 5);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
  private static final int MAX_SAMPLES = 5_000_000;
  private static final String APP = "bench";

  /** One side's samples: latencies in nanoseconds, errors, time measured. */
  private static final class Side {
    final String name;
    final long[] latencies = new long[MAX_SAMPLES];
    int count;
    long errors;
    long nanos;

    Side(String name) {
      this.name = name;
    }
  }

  public static void main(String[] args) throws Exception {
    String body = "x".repeat(1024);
    Vertx edgeVertx = Vertx.vertx();
    Vertx clientVertx = Vertx.vertx();
    String redisUrl = RedisServer.url();
    SlipwayConfig config =
        SlipwayConfig.from(
            new Env(
                Map.of(
                    "SLIPWAY_HTTP_PORT", String.valueOf(freePort()),
                    "SLIPWAY_EDGE_PORT", String.valueOf(freePort()),
                    "SLIPWAY_REDIS_URL", redisUrl,
                    "SLIPWAY_KEY_PREFIX", RedisServer.randomKeyPrefix(),
                    "SLIPWAY_INSTANCE_ID",
                        "bench-" + UUID.randomUUID().toString().substring(0, 8))));
    RedisKeys keys = new RedisKeys(config.keyPrefix());
    Redis redis = RedisClients.create(edgeVertx, redisUrl);
    Edge edge = null;
    try (BusyboxUpstream container = BusyboxUpstream.start(Map.of("index.html", body))) {
      edge =
          Edge.deploy(edgeVertx, config, redis, EdgeConfig.defaults()).await(30, TimeUnit.SECONDS);
      Upstream upstream = container.upstream();
      redis
          .send(Request.cmd(Command.HSET).arg(keys.routes()).arg(APP).arg(upstream.toString()))
          .await(10, TimeUnit.SECONDS);
      long version =
          redis.send(Request.cmd(Command.INCR).arg(keys.routesVersion())).await().toLong();
      redis.send(Request.cmd(Command.PUBLISH).arg(keys.routesChannel()).arg(version)).await();

      Context context = clientVertx.getOrCreateContext();
      HttpClient client =
          clientVertx.createHttpClient(
              new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
              new PoolOptions().setHttp1MaxSize(CONNECTIONS));
      RequestOptions direct =
          new RequestOptions()
              .setHost(upstream.host())
              .setPort(upstream.port())
              .setURI("/index.html");
      RequestOptions routed =
          new RequestOptions()
              .setHost("127.0.0.1")
              .setPort(config.edgePort())
              .setURI("/apps/" + APP + "/index.html");

      awaitReady(context, client, routed, body);
      Side directSide = new Side("direct");
      Side routerSide = new Side("router");
      // Warm-up, not recorded: JIT, connection pools, the container's page cache.
      run(context, client, direct, body, new Side("warm-up"), SECONDS);
      run(context, client, routed, body, new Side("warm-up"), SECONDS);
      for (int round = 0; round < ROUNDS; round++) {
        run(context, client, direct, body, directSide, SECONDS);
        run(context, client, routed, body, routerSide, SECONDS);
      }
      print(directSide, routerSide);
    } finally {
      if (edge != null) {
        edge.undeploy().await(10, TimeUnit.SECONDS);
      }
      redis
          .send(
              Request.cmd(Command.DEL)
                  .arg(keys.routes())
                  .arg(keys.routesVersion())
                  .arg(keys.edge(config.instanceId())))
          .await(10, TimeUnit.SECONDS);
      clientVertx.close().await(10, TimeUnit.SECONDS);
      edgeVertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Until the container answers through the edge, bounded. */
  private static void awaitReady(
      Context context, HttpClient client, RequestOptions routed, String body) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Promise<Boolean> ok = Promise.promise();
      context.runOnContext(
          v ->
              one(client, routed).map(reply -> reply.equals(body)).otherwise(false).onComplete(ok));
      if (ok.future().await(10, TimeUnit.SECONDS)) {
        return;
      }
      Promise<Void> pause = Promise.promise();
      context.owner().setTimer(100, t -> pause.complete());
      pause.future().await();
    }
    throw new IllegalStateException("the container did not answer through the edge in 30 s");
  }

  private static Future<String> one(HttpClient client, RequestOptions options) {
    return client
        .request(options)
        .compose(request -> request.send())
        .compose(
            response ->
                response.statusCode() == 200
                    ? response.body().map(Object::toString)
                    : Future.failedFuture("status " + response.statusCode()))
        .timeout(10, TimeUnit.SECONDS);
  }

  /** {@link #CONNECTIONS} loops on one client context for {@code seconds}, bounded. */
  private static void run(
      Context context,
      HttpClient client,
      RequestOptions options,
      String body,
      Side side,
      int seconds)
      throws Exception {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          long start = System.nanoTime();
          long end = start + TimeUnit.SECONDS.toNanos(seconds);
          int[] running = {CONNECTIONS};
          for (int i = 0; i < CONNECTIONS; i++) {
            loop(
                client,
                options,
                body,
                side,
                end,
                () -> {
                  if (--running[0] == 0) {
                    side.nanos += System.nanoTime() - start;
                    done.complete();
                  }
                });
          }
        });
    done.future().await(seconds + 30L, TimeUnit.SECONDS);
  }

  private static void loop(
      HttpClient client,
      RequestOptions options,
      String body,
      Side side,
      long end,
      Runnable finished) {
    long sent = System.nanoTime();
    if (sent >= end || side.count >= MAX_SAMPLES) {
      finished.run();
      return;
    }
    one(client, options)
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result().equals(body)) {
                side.latencies[side.count++] = System.nanoTime() - sent;
              } else {
                side.errors++;
              }
              loop(client, options, body, side, end, finished);
            });
  }

  private static void print(Side direct, Side router) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"side", "requests", "errors", "req/s", "p50 ms", "p99 ms"});
    double[] d = stats(direct);
    double[] r = stats(router);
    rows.add(row(direct, d));
    rows.add(row(router, r));
    rows.add(
        new String[] {
          "router/direct",
          "",
          "",
          f(r[0] / d[0], 2) + "x",
          f(r[1] / d[1], 2) + "x",
          f(r[2] / d[2], 2) + "x"
        });
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Router overhead: busybox httpd on 127.0.0.1, %d keep-alive connections, %d x %d s per"
            + " side, alternating%n",
        CONNECTIONS,
        ROUNDS,
        SECONDS);
    for (String[] cells : rows) {
      System.out.printf(Locale.ROOT, "%-14s %9s %7s %9s %8s %8s%n", (Object[]) cells);
    }
    System.out.printf(
        Locale.ROOT,
        "targets: throughput >= 0.80x (%s), p99 <= 1.50x (%s)%n",
        r[0] / d[0] >= 0.8 ? "met" : "MISSED",
        r[2] / d[2] <= 1.5 ? "met" : "MISSED");
  }

  /** {req/s, p50 ms, p99 ms}. */
  private static double[] stats(Side side) {
    long[] sorted = Arrays.copyOf(side.latencies, side.count);
    Arrays.sort(sorted);
    double seconds = side.nanos / 1e9;
    return new double[] {
      side.count / seconds, percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6
    };
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static String[] row(Side side, double[] s) {
    return new String[] {
      side.name,
      Integer.toString(side.count),
      Long.toString(side.errors),
      f(s[0], 0),
      f(s[1], 2),
      f(s[2], 2)
    };
  }

  private static String f(double value, int decimals) {
    return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private RouterOverheadBench() {}
}
