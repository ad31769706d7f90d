package dev.slipway.gateway.edge;

import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.redis.RedisKeys;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge router's deployments, in the order they depend on each other: the route table (loaded
 * and subscribed), the reporter, then the router instances on {@code SLIPWAY_EDGE_PORT}.
 */
public final class Edge {

  private static final Logger log = LoggerFactory.getLogger(Edge.class);

  private final Vertx vertx;
  private final RouteTable routes;
  private final InFlight inFlight;
  private final List<String> deployments;

  private Edge(Vertx vertx, RouteTable routes, InFlight inFlight, List<String> deployments) {
    this.vertx = vertx;
    this.routes = routes;
    this.inFlight = inFlight;
    this.deployments = deployments;
  }

  /**
   * Deploys the edge for {@code config}'s port, domain, Redis, key prefix and instance id.
   *
   * @param redis the process's pooled Redis client
   */
  public static Future<Edge> deploy(
      Vertx vertx, SlipwayConfig config, Redis redis, EdgeConfig edge) {
    RedisKeys keys = new RedisKeys(config.keyPrefix());
    RouteTable routes = new RouteTable(redis, config.redisUrl().toString(), keys, edge);
    InFlight inFlight = new InFlight();
    // Newest first: undeploying in this order stops traffic before the table it depends on.
    List<String> ids = new ArrayList<>();
    return vertx
        .deployVerticle(routes)
        .compose(
            id -> {
              ids.add(0, id);
              return vertx.deployVerticle(
                  new EdgeReporter(
                      config.redisUrl().toString(),
                      keys,
                      config.instanceId(),
                      routes,
                      inFlight,
                      edge));
            })
        .compose(
            id -> {
              ids.add(0, id);
              return vertx.deployVerticle(
                  () ->
                      new EdgeRouterVerticle(
                          config.edgePort(), config.domain(), routes, inFlight, redis, keys, edge),
                  new DeploymentOptions().setInstances(edge.instances()));
            })
        .map(
            id -> {
              ids.add(0, id);
              log.info(
                  "edge up port={} domain={} instances={} version={}",
                  config.edgePort(),
                  config.domain(),
                  edge.instances(),
                  routes.current().version());
              return new Edge(vertx, routes, inFlight, List.copyOf(ids));
            })
        .recover(e -> undeployAll(vertx, ids).transform(ignored -> Future.<Edge>failedFuture(e)));
  }

  /** The table in force. */
  public Routes routes() {
    return routes.current();
  }

  /** Requests in flight to {@code upstream} from this edge. */
  public int inFlight(Upstream upstream) {
    return inFlight.count(upstream);
  }

  /** Stops serving: the router first, then the reporter (which removes the report), the table. */
  public Future<Void> undeploy() {
    return undeployAll(vertx, deployments);
  }

  private static Future<Void> undeployAll(Vertx vertx, List<String> ids) {
    Future<Void> chain = Future.succeededFuture();
    for (String id : List.copyOf(ids)) {
      chain = chain.compose(v -> vertx.undeploy(id));
    }
    return chain;
  }
}
