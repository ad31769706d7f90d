package dev.slipway.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.Color;
import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.SampleEvents;
import dev.slipway.infra.redis.AppHash;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.redis.RedisClients;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The deployer's Redis layout on a real Redis")
class RedisAppStoreIT {

  private static final String APP = "web";

  private Vertx vertx;
  private Redis redis;
  private RedisKeys keys;
  private RedisAppStore store;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    redis = RedisClients.create(vertx, RedisServer.url());
    keys = new RedisKeys(RedisServer.randomKeyPrefix());
    store = new RedisAppStore(redis, keys, Duration.ofSeconds(5));
  }

  @AfterEach
  void tearDown() throws Exception {
    Response found =
        redis.send(Request.cmd(Command.KEYS).arg(keys.prefix() + "*")).await(5, TimeUnit.SECONDS);
    if (found != null && found.size() > 0) {
      Request del = Request.cmd(Command.DEL);
      found.forEach(k -> del.arg(k.toString()));
      redis.send(del).await(5, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static DeploySpec spec(long revision) {
    return SampleEvents.minimalSpec(
        APP, "web:" + revision, DeploySpec.Strategy.BLUE_GREEN, 80, Map.of("K", "v"));
  }

  private AppRecord live(long revision) {
    return new AppRecord(
        APP,
        spec(revision),
        revision,
        "d" + revision,
        Color.BLUE,
        "c" + revision,
        "127.0.0.1:" + (40000 + revision),
        revision,
        true,
        null,
        null,
        null);
  }

  private void deploy(long revision) throws Exception {
    String id = "d" + revision;
    store
        .begin(
            new AppStore.Start(
                id,
                APP,
                DeploymentHash.KIND_DEPLOY,
                DeploySpec.Strategy.BLUE_GREEN,
                null,
                Instant.now(),
                Instant.now()))
        .await(5, TimeUnit.SECONDS);
    store
        .commit(
            live(revision),
            new RevisionEntry(revision, id, null, spec(revision), Instant.now()),
            id)
        .await(5, TimeUnit.SECONDS);
    store
        .finish(
            APP,
            id,
            new AppStore.Outcome(
                DeploymentHash.STATUS_SUCCEEDED, DeployPhase.REMOVE_OLD, null, null))
        .await(5, TimeUnit.SECONDS);
  }

  private Map<String, String> hash(String key) throws Exception {
    Response r = redis.send(Request.cmd(Command.HGETALL).arg(key)).await(5, TimeUnit.SECONDS);
    Map<String, String> fields = new HashMap<>();
    r.getKeys().forEach(f -> fields.put(f, r.get(f).toString()));
    return fields;
  }

  @Test
  @DisplayName(
      "a commit writes the app hash the reconciler reads, and the history keeps the newest 20")
  void commitAndHistory() throws Exception {
    for (long r = 1; r <= 22; r++) {
      deploy(r);
    }
    Map<String, String> app = hash(keys.app(APP));
    assertThat(app)
        .containsEntry(AppHash.IMAGE, "web:22")
        .containsEntry(AppHash.LIVE_CONTAINER, "c22")
        .containsEntry(AppHash.LIVE_COLOR, "blue")
        .containsEntry(AppHash.LIVE_REVISION, "22")
        .containsEntry(AppHash.LIVE_DEPLOYMENT, "d22")
        .containsEntry(AppHash.LAST_REVISION, "22")
        .containsEntry(AppHash.SELF_HEAL, "true")
        .containsEntry(AppHash.DEPLOY_IN_FLIGHT, "false")
        .containsEntry(AppHash.UPSTREAM, "127.0.0.1:40022")
        .containsKeys(AppHash.SPEC, AppHash.UPDATED_AT, AppHash.CREATED_AT)
        .doesNotContainKey(AppHash.DEPLOYING);
    assertThat(hash(keys.appRevisions(APP)))
        .hasSize(20)
        .containsKeys("3", "22")
        .doesNotContainKeys("1", "2");
    AppRecord loaded = store.load(APP).await(5, TimeUnit.SECONDS);
    assertThat(loaded.spec()).isEqualTo(spec(22));
    assertThat(store.revisions(APP).await(5, TimeUnit.SECONDS).get(3L).spec()).isEqualTo(spec(3));
    assertThat(hash(keys.deployment("d22")))
        .containsEntry(DeploymentHash.STATUS, "succeeded")
        .containsEntry(DeploymentHash.CONTAINER, "c22")
        .containsEntry(DeploymentHash.APP, APP);
    long ttl =
        redis
            .send(Request.cmd(Command.TTL).arg(keys.deployment("d22")))
            .await(5, TimeUnit.SECONDS)
            .toLong();
    assertThat(ttl).isPositive().isLessThanOrEqualTo(DeploymentHash.RETENTION_SECONDS);
    assertThat(store.apps().await(5, TimeUnit.SECONDS)).containsExactly(APP);
  }

  @Test
  @DisplayName(
      "a route change bumps the version and announces it; edge reports are read with their in-flight counts")
  void routesAndEdges() throws Exception {
    List<String> announced = new CopyOnWriteArrayList<>();
    Redis subscriber = Redis.createClient(vertx, RedisServer.url());
    var connection = subscriber.connect().await(5, TimeUnit.SECONDS);
    connection.handler(
        message -> {
          if (message.size() == 3 && "message".equals(message.get(0).toString())) {
            announced.add(message.get(2).toString());
          }
        });
    connection
        .send(Request.cmd(Command.SUBSCRIBE).arg(keys.routesChannel()))
        .await(5, TimeUnit.SECONDS);

    long v1 = store.route(APP, "127.0.0.1:1").await(5, TimeUnit.SECONDS);
    long v2 = store.route(APP, null).await(5, TimeUnit.SECONDS);
    assertThat(v2).isEqualTo(v1 + 1);
    assertThat(store.currentRoute(APP).await(5, TimeUnit.SECONDS)).isNull();
    org.awaitility.Awaitility.await().until(() -> announced.size() == 2);
    assertThat(announced).containsExactly(Long.toString(v1), Long.toString(v2));
    connection.close();

    RedisAPI.api(redis)
        .hset(List.of(keys.edge("gw-1"), "version", "7", "inflight:127.0.0.1:1", "2"))
        .await(5, TimeUnit.SECONDS);
    List<EdgeReport> edges = store.edges().await(5, TimeUnit.SECONDS);
    assertThat(edges).containsExactly(new EdgeReport("gw-1", 7, Map.of("127.0.0.1:1", 2L)));
    assertThat(edges.getFirst().drained(7, "127.0.0.1:1")).isFalse();
    assertThat(edges.getFirst().drained(7, "127.0.0.1:2")).isTrue();
  }

  @Test
  @DisplayName("a first deploy that fails leaves no app behind")
  void failedFirstDeploy() throws Exception {
    store
        .begin(
            new AppStore.Start(
                "d1",
                APP,
                DeploymentHash.KIND_DEPLOY,
                DeploySpec.Strategy.BLUE_GREEN,
                null,
                Instant.now(),
                Instant.now()))
        .await(5, TimeUnit.SECONDS);
    assertThat(store.load(APP).await(5, TimeUnit.SECONDS).deploying()).isEqualTo("d1");
    store
        .finish(
            APP,
            "d1",
            new AppStore.Outcome(
                DeploymentHash.STATUS_FAILED, DeployPhase.HEALTH_GATE, "health_timeout", "m"))
        .await(5, TimeUnit.SECONDS);
    assertThat(store.load(APP).await(5, TimeUnit.SECONDS)).isNull();
    assertThat(store.apps().await(5, TimeUnit.SECONDS)).isEmpty();
    assertThat(store.deployment("d1").await(5, TimeUnit.SECONDS).status()).isEqualTo("failed");
  }
}
