package dev.slipway.gateway;

import dev.slipway.infra.config.ApiToken.Scope;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.health.Health;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.secrets.CredentialStore;
import dev.slipway.infra.secrets.SecretBox;
import dev.slipway.infra.validation.BuildRequestRules;
import dev.slipway.infra.validation.DeployRequestRules;
import dev.slipway.infra.vertx.Blocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The gateway's HTTP server on {@code SLIPWAY_HTTP_PORT}: health, the OpenAPI document and the
 * {@code /api/v1} routes, each authenticated, then validated against the document, then handled.
 */
public final class ApiVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);

  /** The contract, on the class path and served as is. */
  static final String OPENAPI_RESOURCE = "openapi.yaml";

  /** The operations that answer with an event stream, and so also take {@code ?access_token=}. */
  static final Set<String> SSE_OPERATIONS = Set.of("streamBuildLogs", "streamEvents");

  /** The largest request body accepted. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  private final Health health;
  private final SlipwayConfig config;
  private final Redis redis;
  private final EventPublisher publisher;
  private final CredentialStore credentials;
  private final SecretBox box;
  private final GatewayOptions options;
  private Redis blockingRedis;
  private StreamHub streams;

  public ApiVerticle(
      Health health,
      SlipwayConfig config,
      Redis redis,
      EventPublisher publisher,
      CredentialStore credentials,
      SecretBox box,
      GatewayOptions options) {
    this.health = health;
    this.config = config;
    this.redis = redis;
    this.publisher = publisher;
    this.credentials = credentials;
    this.box = box;
    this.options = options;
  }

  @Override
  public Future<?> start() {
    return Blocking.run(vertx, ApiVerticle::readContract)
        .compose(
            text ->
                OpenAPIContract.from(vertx, forRequestValidation(yamlToJson(text)))
                    .map(contract -> router(contract, Buffer.buffer(text))))
        .compose(
            router ->
                vertx
                    .createHttpServer()
                    .requestHandler(router)
                    .listen(config.httpPort())
                    .onSuccess(s -> log.info("api up port={}", s.actualPort())));
  }

  @Override
  public Future<?> stop() {
    if (streams != null) {
      streams.close();
    }
    return blockingRedis == null ? Future.succeededFuture() : blockingRedis.close();
  }

  private Router router(OpenAPIContract contract, Buffer openapi) {
    RedisKeys keys = new RedisKeys(config.keyPrefix());
    TopicSet topics = TopicSet.withPrefix(config.topicPrefix());
    RedisStore store = new RedisStore(redis, options.redisTimeout());
    blockingRedis = blockingClient();
    streams = new StreamHub(vertx, blockingRedis, options);
    BuildsApi builds =
        new BuildsApi(
            store,
            keys,
            topics,
            publisher,
            new BuildRequestRules(config.gitSchemes()),
            box,
            options);
    CredentialsApi creds = new CredentialsApi(credentials);
    ContainersApi containers = new ContainersApi(store, keys);
    AppsApi apps =
        new AppsApi(store, keys, topics, publisher, new DeployRequestRules(), box, options);
    ContractValidation validation = new ContractValidation(vertx, contract);
    Auth auth = new Auth(config.apiTokens());

    Router router = Router.router(vertx);
    health.mount(router);
    router
        .get("/openapi.yaml")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("content-type", "application/yaml; charset=utf-8")
                    .end(openapi));

    Api api = new Api(router, auth, validation);
    api.route(HttpMethod.POST, "/api/v1/builds", "createBuild", builds::create);
    api.route(HttpMethod.GET, "/api/v1/builds", "listBuilds", builds::list);
    api.route(HttpMethod.GET, "/api/v1/builds/:id", "getBuild", builds::get);
    api.route(HttpMethod.POST, "/api/v1/builds/:id/cancel", "cancelBuild", builds::cancel);
    api.route(
        HttpMethod.GET,
        "/api/v1/builds/:id/logs",
        "streamBuildLogs",
        ctx -> followLog(ctx, builds, keys, store));
    api.route(HttpMethod.GET, "/api/v1/apps", "listApps", apps::list);
    api.route(HttpMethod.GET, "/api/v1/apps/:app", "getApp", apps::get);
    api.route(HttpMethod.DELETE, "/api/v1/apps/:app", "removeApp", apps::remove);
    api.route(HttpMethod.POST, "/api/v1/apps/:app/deployments", "deployApp", apps::deploy);
    api.route(
        HttpMethod.GET, "/api/v1/apps/:app/deployments/:id", "getDeployment", apps::getDeployment);
    api.route(HttpMethod.POST, "/api/v1/apps/:app/rollback", "rollbackApp", apps::rollback);
    api.route(HttpMethod.GET, "/api/v1/containers", "listContainers", containers::list);
    api.route(HttpMethod.GET, "/api/v1/containers/:id", "getContainer", containers::get);
    api.route(
        HttpMethod.GET,
        "/api/v1/events",
        "streamEvents",
        ctx -> followEvents(ctx, keys, store, containers));
    api.route(
        HttpMethod.GET, "/api/v1/registry-credentials", "listRegistryCredentials", creds::list);
    api.route(
        HttpMethod.PUT, "/api/v1/registry-credentials/:name", "putRegistryCredential", creds::put);
    api.route(
        HttpMethod.DELETE,
        "/api/v1/registry-credentials/:name",
        "deleteRegistryCredential",
        creds::delete);

    router
        .route()
        .last()
        .handler(
            ctx -> Problem.notFound("no resource at " + ctx.request().path()).send(ctx.response()));
    router.route().failureHandler(ApiVerticle::failure);
    return router;
  }

  private Future<Void> followLog(
      RoutingContext ctx, BuildsApi builds, RedisKeys keys, RedisStore store) {
    String id = ctx.pathParam("id");
    String resumeAfter = lastEventId(ctx);
    return builds
        .logFollowable(id)
        .compose(
            v -> {
              new SseClient(
                      vertx,
                      ctx,
                      new BuildLogSource(keys, id),
                      resumeAfter,
                      streams,
                      store,
                      options)
                  .start();
              return Future.succeededFuture();
            });
  }

  private Future<Void> followEvents(
      RoutingContext ctx, RedisKeys keys, RedisStore store, ContainersApi containers) {
    FeedSource.Filter filter =
        FeedSource.Filter.parse(ctx.request().getParam("type"), ctx.request().getParam("app"));
    boolean snapshot = Boolean.parseBoolean(ctx.request().getParam("snapshot"));
    new SseClient(
            vertx,
            ctx,
            new FeedSource(keys, store, containers, filter, snapshot),
            lastEventId(ctx),
            streams,
            store,
            options)
        .start();
    return Future.succeededFuture();
  }

  /** Where an SSE client resumes: the header EventSource sends, or the query parameter. */
  private static String lastEventId(RoutingContext ctx) {
    String header = ctx.request().getHeader("Last-Event-ID");
    return header != null ? header : ctx.request().getParam("last_event_id");
  }

  /** Authenticate, then (for bodies) check media type, size and syntax, then validate, handle. */
  private record Api(Router router, Auth auth, ContractValidation validation) {
    void route(
        HttpMethod method,
        String path,
        String operationId,
        Function<RoutingContext, Future<?>> handler) {
      boolean mutation = method != HttpMethod.GET && method != HttpMethod.HEAD;
      boolean sse = SSE_OPERATIONS.contains(operationId);
      // Authentication on a route of its own, ahead of the body: Vert.x runs body handlers
      // before user handlers within one route, and an unauthenticated body is never read.
      router.route(method, path).handler(auth.require(mutation ? Scope.WRITE : Scope.READ, sse));
      Route route = router.route(method, path);
      if (method == HttpMethod.POST || method == HttpMethod.PUT) {
        route.handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        route.handler(ApiVerticle::requireJsonMediaType);
        route.handler(ApiVerticle::requireJsonObject);
      }
      route.handler(validation.validate(operationId));
      route.handler(ctx -> handler.apply(ctx).onFailure(ctx::fail));
    }
  }

  private static void requireJsonMediaType(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("content-type");
    String length = ctx.request().getHeader("content-length");
    boolean hasBody =
        (length != null && !length.equals("0"))
            || ctx.request().getHeader("transfer-encoding") != null;
    if (contentType == null) {
      if (hasBody) {
        unsupportedMediaType(ctx);
        return;
      }
      ctx.next();
      return;
    }
    String mime = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!mime.equals("application/json")) {
      unsupportedMediaType(ctx);
      return;
    }
    ctx.next();
  }

  private static void unsupportedMediaType(RoutingContext ctx) {
    ctx.response().putHeader("Accept", "application/json");
    new Problem(415, "Unsupported Media Type", "send the body as application/json", null)
        .send(ctx.response());
  }

  private static void requireJsonObject(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      ctx.next();
      return;
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(body);
    } catch (DecodeException e) {
      Problem.badRequest(null, "the body is not valid JSON").send(ctx.response());
      return;
    }
    if (!(parsed instanceof JsonObject)) {
      Problem.badRequest(null, "the body must be a JSON object").send(ctx.response());
      return;
    }
    ctx.next();
  }

  private static void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof Problem.ProblemException p) {
      p.problem().send(ctx.response());
      return;
    }
    int status = ctx.statusCode();
    Problem problem =
        switch (status) {
          case 413 ->
              new Problem(
                  413,
                  "Content Too Large",
                  "the body is larger than " + MAX_BODY_BYTES / 1024 + " KiB",
                  null);
          case 405 ->
              new Problem(
                  405, "Method Not Allowed", ctx.request().method() + " is not allowed here", null);
          case 400 -> Problem.badRequest(null, "the request could not be read");
          default -> null;
        };
    if (problem == null) {
      log.error(
          "request failed method={} path={}",
          ctx.request().method(),
          ctx.request().path(),
          failure);
      problem = new Problem(500, "Internal Server Error", "the request could not be served", null);
    }
    problem.send(ctx.response());
  }

  private Redis blockingClient() {
    RedisOptions redisOptions =
        new RedisOptions()
            .setConnectionString(config.redisUrl().toString())
            // Readers let go of a connection only after their XREAD returns: room for both.
            .setMaxPoolSize(options.maxLogFollowers() * 2)
            .setMaxPoolWaiting(options.maxLogFollowers())
            .setPoolRecycleTimeout(15_000);
    redisOptions.getNetClientOptions().setConnectTimeout(5_000).setTcpKeepAlive(true);
    return Redis.createClient(vertx, redisOptions);
  }

  private static String readContract() {
    try (InputStream in =
        ApiVerticle.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI_RESOURCE + " is not on the class path");
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The document as the request validator gets it: without response bodies. vertx-openapi 5.0
   * refuses a contract whose responses use media types beyond its short list (problem+json,
   * event-stream and yaml are not on it), and only requests are validated here; every request part
   * stays exactly as written.
   */
  static JsonObject forRequestValidation(JsonObject document) {
    JsonObject copy = document.copy();
    JsonObject components = copy.getJsonObject("components", new JsonObject());
    JsonObject responses = components.getJsonObject("responses", new JsonObject());
    responses.forEach(e -> ((JsonObject) e.getValue()).remove("content"));
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    paths.forEach(
        path ->
            ((JsonObject) path.getValue())
                .forEach(
                    operation -> {
                      if (operation.getValue() instanceof JsonObject op
                          && op.getValue("responses") instanceof JsonObject byStatus) {
                        byStatus.forEach(
                            r -> {
                              if (r.getValue() instanceof JsonObject response) {
                                response.remove("content");
                              }
                            });
                      }
                    }));
    return copy;
  }

  @SuppressWarnings("unchecked")
  private static JsonObject yamlToJson(String text) {
    Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    return new JsonObject((Map<String, Object>) tree);
  }
}
