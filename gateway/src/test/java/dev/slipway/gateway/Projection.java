package dev.slipway.gateway;

import dev.slipway.infra.events.EventTypes;
import dev.slipway.infra.redis.BuildHash;
import dev.slipway.infra.redis.ContainerHash;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Writes what the reconciler writes, straight into Redis and in its format: container hashes and
 * the container set, build hashes and the build list, and change feed entries ({@code kind=build id
 * status [phase] time}; {@code kind=container event id app state health [docker_event] time}; drift
 * {@code kind=container event=…drift app drift expected found [id] time}).
 */
final class Projection {

  /** The reconciler's cap on the feed. */
  static final int FEED_MAX = 10_000;

  private final GatewayFixture gw;

  Projection(GatewayFixture gw) {
    this.gw = gw;
  }

  static String containerId() {
    byte[] bytes = new byte[32];
    ThreadLocalRandom.current().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** A container hash and its set membership, as a running or stopped container of {@code app}. */
  void container(String id, String app, String name, String state, int hostPort) throws Exception {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(ContainerHash.ID, id);
    h.put(ContainerHash.NAME, name);
    h.put(ContainerHash.APP, app);
    h.put(ContainerHash.ROLE, "web");
    h.put(ContainerHash.COLOR, "blue");
    h.put(ContainerHash.REVISION, "3");
    h.put(ContainerHash.DEPLOYMENT, "d-1");
    h.put(ContainerHash.IMAGE, "registry.local/" + app + ":3");
    h.put(ContainerHash.IMAGE_ID, "sha256:" + containerId());
    h.put(ContainerHash.STATE, state);
    h.put(ContainerHash.HEALTH, ContainerHash.HEALTH_NONE);
    JsonArray ports = new JsonArray();
    if (hostPort > 0) {
      ports.add(
          new JsonObject()
              .put(ContainerHash.Port.CONTAINER_PORT, 8080)
              .put(ContainerHash.Port.PROTOCOL, "tcp")
              .put(ContainerHash.Port.HOST_IP, "127.0.0.1")
              .put(ContainerHash.Port.HOST_PORT, hostPort));
    }
    h.put(ContainerHash.PORTS, ports.encode());
    h.put(ContainerHash.STARTED_AT, Instant.now().minusSeconds(60).toString());
    if (!state.equals("running")) {
      h.put(ContainerHash.FINISHED_AT, Instant.now().toString());
      h.put(ContainerHash.EXIT_CODE, "137");
    }
    h.put(ContainerHash.RESTART_COUNT, "0");
    h.put(ContainerHash.LAST_EVENT, state.equals("running") ? "start" : "die");
    h.put(ContainerHash.LAST_EVENT_AT, Instant.now().toString());
    h.put(ContainerHash.UPDATED_AT, Instant.now().toString());
    Request hset = Request.cmd(Command.HSET).arg(gw.keys.container(id));
    h.forEach((k, v) -> hset.arg(k).arg(v));
    gw.redis
        .batch(List.of(hset, Request.cmd(Command.SADD).arg(gw.keys.containers()).arg(id)))
        .await(10, TimeUnit.SECONDS);
  }

  /** A build hash in the build list; {@code deployApp} names the app of its deploy spec, if any. */
  void build(String id, String status, String deployApp) throws Exception {
    Request hset =
        Request.cmd(Command.HSET)
            .arg(gw.keys.build(id))
            .arg(BuildHash.ID)
            .arg(id)
            .arg(BuildHash.STATUS)
            .arg(status)
            .arg(BuildHash.REPOSITORY)
            .arg("https://git.example.com/team/app.git")
            .arg(BuildHash.IMAGE)
            .arg("registry.local/app")
            .arg(BuildHash.REQUESTED_AT)
            .arg(Instant.now().toString());
    if (deployApp != null) {
      hset.arg(BuildHash.DEPLOY)
          .arg(
              new JsonObject()
                  .put("app", deployApp)
                  .put("image", "registry.local/app")
                  .put("strategy", "recreate")
                  .encode());
    }
    gw.redis
        .batch(
            List.of(
                hset,
                Request.cmd(Command.ZADD)
                    .arg(gw.keys.builds())
                    .arg(System.currentTimeMillis())
                    .arg(id)))
        .await(10, TimeUnit.SECONDS);
  }

  // ------------------------------------------------------------------ feed entries

  String feedContainer(String id, String app, String state, String dockerEvent) throws Exception {
    return xadd(containerEntry(id, app, state, dockerEvent));
  }

  List<String> containerEntry(String id, String app, String state, String dockerEvent) {
    List<String> f = new ArrayList<>();
    add(f, ContainerHash.Feed.KIND, ContainerHash.Feed.KIND_CONTAINER);
    add(f, ContainerHash.Feed.EVENT, EventTypes.CONTAINER_STATE_CHANGED);
    add(f, ContainerHash.Feed.ID, id);
    add(f, ContainerHash.Feed.APP, app);
    add(f, ContainerHash.Feed.STATE, state);
    add(f, ContainerHash.Feed.HEALTH, ContainerHash.HEALTH_NONE);
    if (dockerEvent != null) {
      add(f, ContainerHash.Feed.DOCKER_EVENT, dockerEvent);
    }
    add(f, ContainerHash.Feed.TIME, Instant.now().toString());
    return f;
  }

  String feedBuild(String id, String status, String phase) throws Exception {
    List<String> f = new ArrayList<>();
    add(f, ContainerHash.Feed.KIND, FeedSource.KIND_BUILD);
    add(f, ContainerHash.Feed.ID, id);
    add(f, BuildHash.STATUS, status);
    if (phase != null) {
      add(f, BuildHash.PHASE, phase);
    }
    add(f, ContainerHash.Feed.TIME, Instant.now().toString());
    return xadd(f);
  }

  String feedDrift(String app, String drift, String containerId) throws Exception {
    List<String> f = new ArrayList<>();
    add(f, ContainerHash.Feed.KIND, ContainerHash.Feed.KIND_CONTAINER);
    add(f, ContainerHash.Feed.EVENT, EventTypes.CONTAINER_DRIFT);
    if (containerId != null) {
      add(f, ContainerHash.Feed.ID, containerId);
    }
    add(f, ContainerHash.Feed.APP, app);
    add(f, ContainerHash.Feed.DRIFT, drift);
    add(f, ContainerHash.Feed.EXPECTED, "running");
    add(f, ContainerHash.Feed.FOUND, drift);
    add(f, ContainerHash.Feed.TIME, Instant.now().toString());
    return xadd(f);
  }

  String feedDeploy(String app, String status) throws Exception {
    List<String> f = new ArrayList<>();
    add(f, ContainerHash.Feed.KIND, FeedSource.KIND_DEPLOY);
    add(f, ContainerHash.Feed.APP, app);
    add(f, BuildHash.STATUS, status);
    add(f, ContainerHash.Feed.TIME, Instant.now().toString());
    return xadd(f);
  }

  String xadd(List<String> fields) throws Exception {
    return gw.redis(xaddRequest(fields)).toString();
  }

  Request xaddRequest(List<String> fields) {
    Request xadd =
        Request.cmd(Command.XADD).arg(gw.keys.feed()).arg("MAXLEN").arg("~").arg(FEED_MAX).arg("*");
    fields.forEach(xadd::arg);
    return xadd;
  }

  private static void add(List<String> fields, String name, String value) {
    fields.add(name);
    fields.add(value);
  }
}
