package dev.slipway.infra.health;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Liveness and readiness of a process. Readiness runs every registered check (Kafka, Redis, Docker:
 * whatever the process's services use) with a timeout, and is ready only when all pass.
 */
public final class Health {

  private static final long CHECK_TIMEOUT_MS = 2_000;

  /** How long a starting service waits for its dependencies to answer. */
  public static final Duration START_DEADLINE = Duration.ofSeconds(30);

  private final Vertx vertx;

  private final Map<String, Supplier<Future<?>>> checks = new LinkedHashMap<>();

  public Health(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Adds a readiness check; a name registered twice keeps the first probe. */
  public synchronized Health register(String name, Supplier<Future<?>> probe) {
    checks.putIfAbsent(name, probe);
    return this;
  }

  /** {@code {"status":"UP|DOWN","checks":{"kafka":{"status":"UP"},...}}}. */
  public Future<JsonObject> readiness() {
    Map<String, Supplier<Future<?>>> snapshot;
    synchronized (this) {
      snapshot = new LinkedHashMap<>(checks);
    }
    List<String> names = new ArrayList<>(snapshot.keySet());
    List<Future<JsonObject>> results = names.stream().map(name -> run(snapshot.get(name))).toList();
    return Future.join(results)
        .transform(
            ignored -> {
              JsonObject details = new JsonObject();
              boolean up = true;
              for (int i = 0; i < names.size(); i++) {
                JsonObject result = results.get(i).result();
                up &= "UP".equals(result.getString("status"));
                details.put(names.get(i), result);
              }
              return Future.succeededFuture(
                  new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", details));
            });
  }

  /**
   * Succeeds once every check passes; retries for up to {@link #START_DEADLINE} (a dependency that
   * starts alongside, or a busy machine, is not a failure), then fails naming the checks that did
   * not pass.
   */
  public Future<Void> requireUp() {
    return requireUp(System.nanoTime() + START_DEADLINE.toNanos());
  }

  private Future<Void> requireUp(long deadlineNanos) {
    return readiness()
        .compose(
            report -> {
              if ("UP".equals(report.getString("status"))) {
                return Future.succeededFuture();
              }
              if (System.nanoTime() < deadlineNanos) {
                Promise<Void> retried = Promise.promise();
                vertx.setTimer(500, t -> requireUp(deadlineNanos).onComplete(retried));
                return retried.future();
              }
              JsonObject checks = report.getJsonObject("checks");
              List<String> down =
                  checks.fieldNames().stream()
                      .filter(n -> !"UP".equals(checks.getJsonObject(n).getString("status")))
                      .map(n -> n + " (" + checks.getJsonObject(n).getString("error") + ")")
                      .toList();
              return Future.failedFuture(
                  "not reachable after "
                      + START_DEADLINE.toSeconds()
                      + " s: "
                      + String.join(", ", down));
            });
  }

  private Future<JsonObject> run(Supplier<Future<?>> probe) {
    long start = System.nanoTime();
    Future<?> result;
    try {
      result = probe.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result
        .timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .transform(
            ar -> {
              JsonObject json =
                  new JsonObject()
                      .put("status", ar.succeeded() ? "UP" : "DOWN")
                      .put("took_ms", (System.nanoTime() - start) / 1_000_000);
              if (ar.failed()) {
                json.put("error", String.valueOf(ar.cause().getMessage()));
              }
              return Future.succeededFuture(json);
            });
  }

  /** {@code GET /health} (readiness: 200 or 503) and {@code GET /health/live} (always 200). */
  public void mount(Router router) {
    router
        .get("/health/live")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("content-type", "application/json")
                    .end(new JsonObject().put("status", "UP").encode()));
    router
        .get("/health")
        .handler(
            ctx ->
                readiness()
                    .onSuccess(
                        report ->
                            ctx.response()
                                .setStatusCode("UP".equals(report.getString("status")) ? 200 : 503)
                                .putHeader("content-type", "application/json")
                                .putHeader("cache-control", "no-store")
                                .end(report.encode()))
                    .onFailure(ctx::fail));
  }
}
