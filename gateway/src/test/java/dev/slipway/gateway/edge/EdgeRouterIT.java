package dev.slipway.gateway.edge;

import static dev.slipway.gateway.edge.EdgeFixture.DEADLINE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The edge router on the real Redis, with real upstream servers")
class EdgeRouterIT {

  private EdgeFixture fx;

  @AfterEach
  void tearDown() throws Exception {
    if (fx != null) {
      fx.close();
    }
  }

  @Test
  @DisplayName(
      "a request for <app>.<domain> or /apps/<app>/ reaches the app with X-Forwarded-* set,"
          + " the prefix stripped and hop-by-hop headers dropped")
  void routesByHostAndPrefix() throws Exception {
    fx = new EdgeFixture();
    Upstream shop = fx.echo("shop");
    fx.route("shop", shop);
    String host = "shop." + EdgeFixture.DOMAIN;

    EdgeFixture.Reply byHost = fx.get(host, "/cart?item=7");
    assertThat(byHost.status()).isEqualTo(200);
    JsonObject seen = byHost.json();
    assertThat(seen.getString("name")).isEqualTo("shop");
    assertThat(seen.getString("uri")).isEqualTo("/cart?item=7");
    JsonObject headers = seen.getJsonObject("headers");
    assertThat(headers.getString("host")).isEqualTo(host + ":" + fx.port());
    assertThat(headers.getString("x-forwarded-host")).isEqualTo(host + ":" + fx.port());
    assertThat(headers.getString("x-forwarded-proto")).isEqualTo("http");
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.containsKey("x-forwarded-prefix")).isFalse();

    EdgeFixture.Reply byPrefix = fx.get("127.0.0.1", "/apps/shop/cart?item=7");
    assertThat(byPrefix.status()).isEqualTo(200);
    assertThat(byPrefix.json().getString("uri")).isEqualTo("/cart?item=7");
    assertThat(byPrefix.json().getJsonObject("headers").getString("x-forwarded-prefix"))
        .isEqualTo("/apps/shop");
    assertThat(fx.get("127.0.0.1", "/apps/shop").json().getString("uri")).isEqualTo("/");

    EdgeFixture.Reply head = fx.send(HttpMethod.HEAD, host, "/cart", null, null).await();
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(byHost.headers().get("content-length"))
        .isEqualTo(String.valueOf(byHost.body().length()));

    MultiMap sent =
        MultiMap.caseInsensitiveMultiMap()
            .add("X-Forwarded-For", "203.0.113.9")
            .add("Connection", "keep-alive, X-Private")
            .add("X-Private", "one-hop-only")
            .add("Keep-Alive", "timeout=5")
            .add("X-App", "kept");
    EdgeFixture.Reply posted =
        fx.send(HttpMethod.POST, host, "/orders", sent, "a body of the order").await();
    JsonObject echoed = posted.json();
    assertThat(echoed.getString("method")).isEqualTo("POST");
    assertThat(echoed.getString("body")).isEqualTo("a body of the order");
    JsonObject postedHeaders = echoed.getJsonObject("headers");
    assertThat(postedHeaders.getString("x-forwarded-for")).isEqualTo("203.0.113.9, 127.0.0.1");
    assertThat(postedHeaders.getString("x-app")).isEqualTo("kept");
    assertThat(postedHeaders.containsKey("x-private")).isFalse();
    assertThat(postedHeaders.containsKey("keep-alive")).isFalse();
  }

  @Test
  @DisplayName(
      "app traffic reaches a busybox httpd container published on 127.0.0.1, by host and by"
          + " path prefix")
  void busyboxContainer() throws Exception {
    fx = new EdgeFixture();
    String token = "token-" + java.util.UUID.randomUUID();
    try (BusyboxUpstream container = BusyboxUpstream.start(Map.of("index.html", token))) {
      fx.route("site", container.upstream());
      await("the container answers through the edge")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> fx.get("site.localhost", "/index.html").body().equals(token));
      EdgeFixture.Reply byPrefix = fx.get("127.0.0.1", "/apps/site/index.html");
      assertThat(byPrefix.status()).isEqualTo(200);
      assertThat(byPrefix.body()).isEqualTo(token);
    }
  }

  @Test
  @DisplayName(
      "a route change published on the channel moves the next request to the new upstream,"
          + " with no restart, and the edge reports the new version")
  void routeChangeIsPushed() throws Exception {
    fx = new EdgeFixture();
    Upstream blue = fx.echo("blue");
    Upstream green = fx.echo("green");
    long first = fx.publishRoute("web", blue);
    await("blue serves")
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> fx.get("web.localhost", "/").body().contains("\"blue\""));

    // Written but not published: an edge that polled would pick it up; this one must not.
    fx.redis(Request.cmd(Command.HSET).arg(fx.keys.routes()).arg("web").arg(green.toString()));
    await("blue still serves without a publish")
        .during(Duration.ofMillis(1500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> fx.get("web.localhost", "/").body().contains("\"blue\""));
    assertThat(fx.reportedVersion(fx.report())).isEqualTo(first);

    long second = fx.bumpAndPublish();
    await("green serves after the publish")
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> fx.get("web.localhost", "/").body().contains("\"green\""));
    await("the report shows the new version")
        .atMost(DEADLINE)
        .until(() -> fx.reportedVersion(fx.report()) == second);
    assertThat(fx.edge.routes().version()).isEqualTo(second);
  }

  @Test
  @DisplayName(
      "unknown apps get 404, a known app without a route 503 with Retry-After, and an upstream"
          + " that refuses connections 502, each as problem+json naming the app")
  void problems() throws Exception {
    fx = new EdgeFixture();

    EdgeFixture.Reply nobody = fx.get("127.0.0.1", "/");
    assertThat(nobody.status()).isEqualTo(404);
    assertThat(nobody.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(nobody.json().getString("detail")).contains("<app>.localhost", "/apps/<app>/");

    EdgeFixture.Reply unknown = fx.get("ghost.localhost", "/");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(unknown.json().getString("detail")).contains("ghost");

    fx.redis(Request.cmd(Command.SADD).arg(fx.keys.apps()).arg("idle"));
    EdgeFixture.Reply unrouted = fx.get("127.0.0.1", "/apps/idle/");
    assertThat(unrouted.status()).isEqualTo(503);
    assertThat(unrouted.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(unrouted.headers().get("retry-after")).isEqualTo("5");
    assertThat(unrouted.json().getString("detail")).contains("idle");
    assertThat(unrouted.json().getInteger("status")).isEqualTo(503);

    Upstream closed = new Upstream("127.0.0.1", LoopbackPorts.free());
    fx.route("broken", closed);
    EdgeFixture.Reply refused = fx.get("broken.localhost", "/");
    assertThat(refused.status()).isEqualTo(502);
    assertThat(refused.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(refused.json().getString("detail")).contains("broken", closed.toString());
    assertThat(fx.edge.inFlight(closed)).isZero();
  }

  @Test
  @DisplayName("an upstream slower than the upstream timeout gets 504 problem+json")
  void upstreamTimeout() throws Exception {
    fx =
        new EdgeFixture(
            EdgeConfig.defaults().withInstances(1).withUpstreamTimeout(Duration.ofMillis(300)));
    Promise<Void> never = Promise.promise();
    Upstream slow =
        fx.upstream(request -> never.future().onComplete(v -> request.response().end()));
    fx.route("slow", slow);

    EdgeFixture.Reply reply = fx.get("slow.localhost", "/");
    assertThat(reply.status()).isEqualTo(504);
    assertThat(reply.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(reply.json().getString("detail")).contains("slow", "300 ms");
    assertThat(fx.edge.inFlight(slow)).isZero();
  }

  @Test
  @DisplayName("server-sent events pass through as they are written, before the upstream ends")
  void serverSentEvents() throws Exception {
    fx = new EdgeFixture();
    Promise<Void> finish = Promise.promise();
    Upstream events =
        fx.upstream(
            request -> {
              HttpServerResponse response =
                  request
                      .response()
                      .setChunked(true)
                      .putHeader("content-type", "text/event-stream")
                      .putHeader("cache-control", "no-cache");
              response.write("id: 1\ndata: first\n\n");
              finish.future().onComplete(v -> response.end("id: 2\ndata: last\n\n"));
            });
    fx.route("feed", events);

    ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
    AtomicBoolean ended = new AtomicBoolean();
    AtomicInteger status = new AtomicInteger();
    fx.onClientContext(
        () ->
            fx.client
                .request(
                    new RequestOptions().setHost("127.0.0.1").setPort(fx.port()).setURI("/events"))
                .compose(
                    request -> {
                      request.authority(HostAndPort.create("feed.localhost", fx.port()));
                      request.putHeader("accept", "text/event-stream");
                      return request.send();
                    })
                .onSuccess(
                    response -> {
                      status.set(response.statusCode());
                      response.handler(chunk -> received.add(chunk.toString()));
                      response.endHandler(v -> ended.set(true));
                    }));

    await("the first event arrives while the stream is open")
        .atMost(DEADLINE)
        .until(() -> String.join("", received).contains("data: first\n\n"));
    assertThat(status.get()).isEqualTo(200);
    assertThat(ended).isFalse();
    assertThat(finish.future().isComplete()).isFalse();
    assertThat(fx.edge.inFlight(events)).isEqualTo(1);

    finish.complete();
    await("the last event and the end arrive").atMost(DEADLINE).untilTrue(ended);
    assertThat(String.join("", received)).isEqualTo("id: 1\ndata: first\n\nid: 2\ndata: last\n\n");
    await().atMost(DEADLINE).until(() -> fx.edge.inFlight(events) == 0);
  }

  @Test
  @DisplayName(
      "a WebSocket passes through both ways and counts in flight until the connection closes")
  void webSocket() throws Exception {
    fx = new EdgeFixture();
    HttpServer echo =
        fx.vertx
            .createHttpServer()
            .webSocketHandler(
                ws -> ws.textMessageHandler(text -> ws.writeTextMessage("echo " + text)));
    Upstream chat = fx.listen(echo);
    fx.route("chat", chat);

    WebSocketClient wsClient = fx.vertx.createWebSocketClient();
    ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
    Promise<WebSocket> connected = Promise.promise();
    fx.onClientContext(
        () ->
            wsClient
                .connect(
                    new WebSocketConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(fx.port())
                        .setURI("/apps/chat/socket"))
                .onSuccess(
                    ws -> {
                      ws.textMessageHandler(received::add);
                      ws.writeTextMessage("hello");
                      ws.writeTextMessage("again");
                    })
                .onComplete(connected));
    WebSocket socket = connected.future().await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    await("both echoes").atMost(DEADLINE).until(() -> received.size() == 2);
    assertThat(received).containsExactly("echo hello", "echo again");
    await("the open connection is reported in flight")
        .atMost(DEADLINE)
        .until(() -> fx.reportedInFlight(fx.report(), chat) == 1);

    socket.close().await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    await("the closed connection is no longer in flight")
        .atMost(DEADLINE)
        .until(() -> fx.edge.inFlight(chat) == 0 && fx.reportedInFlight(fx.report(), chat) == 0);
    wsClient.close();
  }

  @Test
  @DisplayName(
      "a GET whose upstream connection is reset before any response byte is sent once more and"
          + " answered; a POST is not sent twice and gets 502")
  void resetBeforeResponseIsRetried() throws Exception {
    fx = new EdgeFixture();
    try (ResettingUpstream flaky = new ResettingUpstream(i -> i % 2 == 0 ? null : "second try")) {
      fx.route("flaky", flaky.upstream());

      EdgeFixture.Reply reply = fx.get("flaky.localhost", "/page");
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.body()).isEqualTo("second try");
      assertThat(flaky.requests).containsExactly("GET /page HTTP/1.1", "GET /page HTTP/1.1");

      EdgeFixture.Reply posted =
          fx.send(HttpMethod.POST, "flaky.localhost", "/orders", null, "once").await();
      assertThat(posted.status()).isEqualTo(502);
      assertThat(flaky.requests).hasSize(3).last().isEqualTo("POST /orders HTTP/1.1");
      await("the failed request is no longer counted")
          .atMost(DEADLINE)
          .until(() -> fx.edge.inFlight(flaky.upstream()) == 0);
    }
  }

  @Test
  @DisplayName(
      "a GET reset by an upstream that a route switch replaced meanwhile is retried on the new"
          + " upstream, and is counted in flight to it, not to the old one")
  void retryFollowsTheNewRoute() throws Exception {
    fx = new EdgeFixture();
    Upstream next = fx.echo("next");
    AtomicLong switched = new AtomicLong();
    try (ResettingUpstream going =
        new ResettingUpstream(
            i -> {
              // The deploy switches the route while this request is at the old upstream, which
              // then goes away under it.
              try {
                switched.set(fx.route("api", next));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              return null;
            })) {
      fx.route("api", going.upstream());

      EdgeFixture.Reply reply = fx.get("api.localhost", "/orders");
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getString("name")).isEqualTo("next");
      assertThat(reply.json().getString("uri")).isEqualTo("/orders");
      assertThat(going.requests).hasSize(1);
      await("the old upstream is drained")
          .atMost(DEADLINE)
          .until(() -> fx.drained(switched.get(), going.upstream()));
    }
  }

  @Test
  @DisplayName(
      "a request in flight keeps its upstream through a route change; the report shows it in"
          + " flight to the old upstream until it completes, then zero")
  void inFlightAcrossRouteChange() throws Exception {
    fx = new EdgeFixture();
    Promise<Void> release = Promise.promise();
    Upstream old =
        fx.upstream(request -> release.future().onComplete(v -> request.response().end("old")));
    Upstream next = fx.echo("next");
    fx.route("api", old);

    var slow = fx.send(HttpMethod.GET, "api.localhost", "/slow", null, null);
    await("the slow request is reported in flight")
        .atMost(DEADLINE)
        .until(() -> fx.reportedInFlight(fx.report(), old) == 1);

    long switched = fx.publishRoute("api", next);
    await("the new version is reported, the old upstream still busy")
        .atMost(DEADLINE)
        .until(() -> fx.reportedVersion(fx.report()) >= switched);
    Map<String, String> during = fx.report();
    assertThat(fx.reportedInFlight(during, old)).isEqualTo(1);
    assertThat(fx.drained(switched, old)).isFalse();
    assertThat(fx.get("api.localhost", "/").json().getString("name")).isEqualTo("next");

    release.complete();
    EdgeFixture.Reply reply = slow.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo("old");
    // Written at once when an unrouted upstream goes idle, well before the next tick.
    await("the old upstream is drained")
        .atMost(Duration.ofMillis(900))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> fx.drained(switched, old));
  }

  @Test
  @DisplayName(
      "no request fails while the route flips 20 times between two upstreams under load, each"
          + " old upstream stopped once the report shows it drained")
  void zeroFailuresWhileFlipping() throws Exception {
    fx = new EdgeFixture();
    Set<String> colors = Set.of("blue", "green");
    Color live = color("blue");
    fx.route("shop", live.upstream());

    AtomicBoolean running = new AtomicBoolean(true);
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Map<String, AtomicLong> served = Map.of("blue", new AtomicLong(), "green", new AtomicLong());
    int loops = 4;
    CountDownLatch stopped = new CountDownLatch(loops);
    for (int i = 0; i < loops; i++) {
      loop(running, failures, served, stopped, colors);
    }

    for (int flip = 1; flip <= 20; flip++) {
      Color next = color(flip % 2 == 1 ? "green" : "blue");
      // The deployer's side: switch, wait for every edge to drain the old upstream, stop it.
      long switched = fx.publishRoute("shop", next.upstream());
      Upstream old = live.upstream();
      await("drain of " + old + " after version " + switched)
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(10))
          .until(() -> fx.drained(switched, old));
      fx.stop(old);
      await("the new upstream carries the load")
          .atMost(DEADLINE)
          .until(() -> next.served().get() >= 25);
      live = next;
    }
    running.set(false);
    assertThat(stopped.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();

    assertThat(failures).isEmpty();
    assertThat(served.get("blue").get() + served.get("green").get()).isGreaterThan(20 * 25);
    assertThat(served.get("blue").get()).isGreaterThan(10 * 25);
    assertThat(served.get("green").get()).isGreaterThan(10 * 25);
  }

  private record Color(Upstream upstream, AtomicLong served) {}

  /**
   * A fresh upstream, as a new container would be, answering its color after a short pause so
   * requests are in flight at every switch.
   */
  private Color color(String color) throws Exception {
    AtomicLong served = new AtomicLong();
    Upstream upstream =
        fx.upstream(
            request ->
                request
                    .body()
                    .onSuccess(
                        body ->
                            fx.vertx.setTimer(
                                1 + (long) (Math.random() * 15),
                                t -> {
                                  served.incrementAndGet();
                                  request.response().end(color);
                                })));
    return new Color(upstream, served);
  }

  private void loop(
      AtomicBoolean running,
      ConcurrentLinkedQueue<String> failures,
      Map<String, AtomicLong> served,
      CountDownLatch stopped,
      Set<String> colors) {
    if (!running.get()) {
      stopped.countDown();
      return;
    }
    fx.send(HttpMethod.GET, "shop.localhost", "/", null, null)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                failures.add(ar.cause().toString());
              } else if (ar.result().status() != 200 || !colors.contains(ar.result().body())) {
                failures.add(ar.result().status() + " " + ar.result().body());
              } else {
                served.get(ar.result().body()).incrementAndGet();
              }
              loop(running, failures, served, stopped, colors);
            });
  }

  @Test
  @DisplayName(
      "after Redis drops the subscription the edge subscribes again and applies later changes")
  void resubscribesAfterDisconnect() throws Exception {
    try (RedisServer.Instance privateRedis = RedisServer.startPrivate()) {
      fx = new EdgeFixture(EdgeConfig.defaults().withInstances(1), privateRedis.url());
      Upstream before = fx.echo("before");
      Upstream after = fx.echo("after");
      fx.route("app", before);
      await().atMost(DEADLINE).until(() -> fx.get("app.localhost", "/").body().contains("before"));

      Redis admin = fx.redis;
      assertThat(
              admin
                  .send(Request.cmd(Command.CLIENT).arg("KILL").arg("TYPE").arg("pubsub"))
                  .await(10, TimeUnit.SECONDS)
                  .toInteger())
          .isEqualTo(1);
      fx.route("app", after);
      await("the change made after the drop is applied")
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> fx.get("app.localhost", "/").body().contains("after"));

      // And changes published on the restored subscription still arrive.
      await("a subscriber is back")
          .atMost(DEADLINE)
          .until(
              () ->
                  fx.redis(Request.cmd(Command.PUBSUB).arg("NUMSUB").arg(fx.keys.routesChannel()))
                          .get(1)
                          .toInteger()
                      == 1);
      fx.route("app", before);
      await("a change published after the restore is applied")
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> fx.get("app.localhost", "/").body().contains("before"));
      fx.close();
      fx = null;
    }
  }
}
