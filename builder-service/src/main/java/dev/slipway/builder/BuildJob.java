package dev.slipway.builder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildEvent.BuildCancelled;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildPhaseChanged;
import dev.slipway.infra.events.BuildEvent.BuildQueued;
import dev.slipway.infra.events.BuildEvent.BuildStarted;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.events.CloudEvent;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.kafka.EventPublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One build request in this builder, from claim to verdict. Lives on the verticle's event loop; the
 * blocking work runs in {@link BuildPipeline} on a virtual thread.
 *
 * <p>The order of effects is what makes a redelivered command safe: claim first (a second delivery
 * finds the claim), log lines acked before the verdict, the verdict recorded in the claim before it
 * is published (a crash in between republishes the same event), and the command acked last.
 */
final class BuildJob implements BuildExecutor.Task {

  private static final Logger log = LoggerFactory.getLogger(BuildJob.class);

  /** How long a cancelled or timed-out build may take to stop before its verdict goes out. */
  static final long STOP_GRACE_MS = 1_500;

  /** What every job of a verticle shares. */
  record Deps(
      Vertx vertx,
      Context context,
      BuildClaims claims,
      EventPublisher publisher,
      TopicSet topics,
      BuildPipeline pipeline,
      BuilderConfig config,
      BuildExecutor executor) {}

  private enum State {
    CLAIMING,
    WATCHING,
    QUEUED,
    RUNNING,
    FINISHING,
    DONE
  }

  private final Deps deps;
  private final BuildRequested request;
  private final String id;
  private final Promise<Void> done = Promise.promise();
  private final CancelToken token = new CancelToken();
  private final Redactor redactor = new Redactor();

  private State state = State.CLAIMING;
  private boolean cancelRequested;
  private boolean cancelForwarded;
  private int attempt;
  private LogBatcher logs;
  private volatile BuildPhase phase;
  private Instant startedAt;
  private long renewTimer = -1;
  private long timeoutTimer = -1;
  private long watchTimer = -1;
  private long graceTimer = -1;

  BuildJob(Deps deps, BuildRequested request) {
    this.deps = deps;
    this.request = request;
    this.id = request.buildId();
  }

  /** Claims the build and runs it; the Future completes once the command may be acked. */
  Future<Void> start() {
    acquire();
    return done.future();
  }

  Future<Void> future() {
    return done.future();
  }

  // ---- claim ----

  private void acquire() {
    deps.claims()
        .acquire(id)
        .onComplete(
            ar -> {
              if (state != State.CLAIMING && state != State.WATCHING) {
                return;
              }
              if (ar.failed()) {
                fail(ar.cause());
                return;
              }
              claimed(ar.result());
            });
  }

  private void claimed(BuildClaims.Claim claim) {
    cancelRequested |= claim.cancel();
    switch (claim.outcome()) {
      case NEW -> {
        state = State.CLAIMING;
        attempt = 1;
        startRenewing();
        logs = batcher(claim.reserved());
        log.info("build accepted buildId={} attempt=1", id);
        publish(
                new BuildQueued(
                    id,
                    request.repository(),
                    request.ref(),
                    request.image(),
                    request.tags(),
                    Instant.now()))
            .onSuccess(v -> enqueue())
            .onFailure(this::fail);
      }
      case TAKEOVER -> {
        state = State.CLAIMING;
        attempt = claim.attempt();
        startRenewing();
        logs = batcher(claim.reserved());
        log.warn(
            "taking over build buildId={} previousBuilder={} attempt={}",
            id,
            claim.previousBuilder(),
            attempt);
        logs.system(
            "builder "
                + claim.previousBuilder()
                + " stopped responding; retrying (attempt "
                + attempt
                + ")");
        enqueue();
      }
      case EXHAUSTED -> {
        state = State.CLAIMING;
        attempt = claim.attempt();
        startRenewing();
        logs = batcher(claim.reserved());
        String message =
            "builder "
                + claim.previousBuilder()
                + " stopped responding during attempt "
                + attempt
                + "; giving up after "
                + attempt
                + (attempt == 1 ? " attempt" : " attempts")
                + " (SLIPWAY_BUILDER_MAX_ATTEMPTS)";
        log.warn(
            "build lost buildId={} previousBuilder={} attempt={}",
            id,
            claim.previousBuilder(),
            attempt);
        finishFailed(BuildFailureReason.BUILDER_LOST, message);
      }
      case HELD -> {
        state = State.WATCHING;
        forwardCancel();
        watchTimer =
            deps.vertx()
                .setTimer(
                    deps.config().renewEvery().toMillis(),
                    t -> {
                      watchTimer = -1;
                      acquire();
                    });
      }
      case DONE -> {
        state = State.FINISHING;
        if (!claim.published() && !claim.event().isEmpty()) {
          // The verdict was recorded but maybe never published: publish the same event again.
          CloudEvent<BuildEvent> event;
          try {
            event = decode(claim.event());
          } catch (RuntimeException e) {
            log.error("stored verdict unreadable, acknowledging buildId={}", id, e);
            complete();
            return;
          }
          deps.publisher()
              .publish(deps.topics().buildEvents(), id, event)
              .compose(m -> deps.claims().published(id))
              .onSuccess(v -> complete())
              .onFailure(this::fail);
        } else {
          log.info("duplicate command acknowledged buildId={} state={}", id, claim.state());
          complete();
        }
      }
    }
  }

  private LogBatcher batcher(long reserved) {
    return new LogBatcher(
        deps.vertx(),
        deps.context(),
        id,
        reserved + 1,
        reserved,
        batch -> deps.publisher().publish(deps.topics().buildLogs(), id, batch),
        upTo -> deps.claims().renew(id, upTo).map(BuildClaims.Renewal::owned),
        redactor);
  }

  private void startRenewing() {
    if (renewTimer >= 0) {
      return;
    }
    renewTimer = deps.vertx().setPeriodic(deps.config().renewEvery().toMillis(), t -> renew());
  }

  private void renew() {
    deps.claims()
        .renew(id, 0)
        .onSuccess(
            renewal -> {
              if (state != State.CLAIMING && state != State.QUEUED && state != State.RUNNING) {
                return;
              }
              if (!renewal.owned()) {
                claimLost();
              } else if (renewal.cancel()) {
                cancel(null);
              }
            })
        .onFailure(
            e ->
                log.warn(
                    "claim renewal failed buildId={} error={}",
                    id,
                    String.valueOf(e.getMessage())));
  }

  private void forwardCancel() {
    if (cancelRequested && !cancelForwarded) {
      cancelForwarded = true;
      deps.claims()
          .requestCancel(id)
          .onFailure(
              e -> {
                cancelForwarded = false;
                log.warn("cancel not recorded buildId={} error={}", id, e.getMessage());
              });
    }
  }

  // ---- queue and run ----

  private void enqueue() {
    if (state != State.CLAIMING) {
      return;
    }
    if (cancelRequested) {
      finishCancelled();
      return;
    }
    state = State.QUEUED;
    deps.executor().submit(this);
  }

  /** Called by the executor when a slot is free; completes when the slot is free again. */
  @Override
  public Future<?> get() {
    if (state != State.QUEUED) {
      return Future.succeededFuture();
    }
    state = State.RUNNING;
    startedAt = Instant.now();
    Duration limit =
        request.timeoutSeconds() != null
            ? Duration.ofSeconds(request.timeoutSeconds())
            : deps.config().defaultTimeout();
    timeoutTimer =
        deps.vertx()
            .setTimer(
                limit.toMillis(),
                t -> {
                  timeoutTimer = -1;
                  if (state == State.RUNNING && token.cancel(CancelToken.Reason.TIMEOUT)) {
                    log.info("build timed out buildId={} limitSeconds={}", id, limit.toSeconds());
                    stopping();
                  }
                });
    Promise<Void> slot = Promise.promise();
    publish(new BuildStarted(id, deps.claims().builder(), attempt, startedAt))
        .onFailure(
            e -> {
              fail(e);
              slot.complete();
            })
        .onSuccess(
            v -> {
              if (state != State.RUNNING) {
                slot.complete();
                return;
              }
              log.info("build started buildId={} attempt={}", id, attempt);
              Thread.ofVirtual()
                  .name("slipway-build-" + id)
                  .start(
                      () -> {
                        BuildPipeline.Result result = null;
                        Throwable error = null;
                        try {
                          result =
                              deps.pipeline().run(request, token, logs, redactor, this::enterPhase);
                        } catch (Throwable e) {
                          error = e;
                        }
                        BuildPipeline.Result outcome = result;
                        Throwable failure = error;
                        deps.context()
                            .runOnContext(
                                x -> {
                                  pipelineEnded(outcome, failure, limit);
                                  slot.complete();
                                });
                      });
            });
    return slot.future();
  }

  /** Called from the pipeline's thread. */
  private void enterPhase(BuildPhase next) {
    phase = next;
    deps.context()
        .runOnContext(
            v -> {
              if (state == State.RUNNING) {
                publish(new BuildPhaseChanged(id, next, Instant.now()))
                    .onFailure(
                        e ->
                            log.warn(
                                "phase event not published buildId={} phase={} error={}",
                                id,
                                next.wire(),
                                e.getMessage()));
              }
            });
  }

  private void pipelineEnded(BuildPipeline.Result result, Throwable error, Duration limit) {
    if (state != State.RUNNING) {
      return;
    }
    if (result != null) {
      logs.system(
          "build succeeded in "
              + Duration.between(startedAt, Instant.now()).toMillis() / 1000.0
              + " s");
      finish(
          "succeeded",
          lines ->
              new BuildSucceeded(
                  id,
                  result.commitSha(),
                  request.image(),
                  result.imageId(),
                  result.digest(),
                  result.tags(),
                  request.deploy(),
                  startedAt,
                  lines,
                  Instant.now()));
    } else if (token.reason() == CancelToken.Reason.CANCELLED) {
      finishCancelled();
    } else if (token.reason() == CancelToken.Reason.TIMEOUT) {
      finishFailed(
          BuildFailureReason.TIMEOUT,
          "the build ran longer than its limit of "
              + limit.toSeconds()
              + " s: raise timeout_seconds or make the build faster");
    } else if (token.reason() == CancelToken.Reason.ABORTED) {
      // abort() or claimLost() already settled the job.
    } else if (error instanceof BuildFailure failure) {
      finishFailed(failure.reason(), failure.getMessage());
    } else {
      log.error("build crashed buildId={}", id, error);
      finishFailed(
          BuildFailureReason.INTERNAL_ERROR,
          "internal error in the builder ("
              + (error == null ? "unknown" : error.getClass().getSimpleName())
              + "); see the builder's log for buildId="
              + id);
    }
  }

  /** A cancel or timeout was set on a running build: give it a moment, then give the verdict. */
  private void stopping() {
    graceTimer =
        deps.vertx()
            .setTimer(
                STOP_GRACE_MS,
                t -> {
                  graceTimer = -1;
                  if (state == State.RUNNING) {
                    log.warn("build did not stop in time, reporting anyway buildId={}", id);
                    Duration limit =
                        request.timeoutSeconds() != null
                            ? Duration.ofSeconds(request.timeoutSeconds())
                            : deps.config().defaultTimeout();
                    pipelineEnded(null, null, limit);
                  }
                });
  }

  // ---- cancel, abort ----

  /** A cancel command for this build arrived. */
  Future<Void> cancel(String reason) {
    switch (state) {
      case CLAIMING -> cancelRequested = true;
      case WATCHING -> {
        cancelRequested = true;
        forwardCancel();
      }
      case QUEUED -> {
        deps.executor().remove(this);
        finishCancelled();
      }
      case RUNNING -> {
        if (token.cancel(CancelToken.Reason.CANCELLED)) {
          log.info("cancelling build buildId={} phase={}", id, phase == null ? "-" : phase.wire());
          logs.system(
              "cancel requested" + (reason == null || reason.isBlank() ? "" : ": " + reason));
          stopping();
        }
      }
      case FINISHING, DONE -> {
        // Too late: the verdict is out or on its way.
      }
    }
    return Future.succeededFuture();
  }

  /** This builder is stopping: drop the build without a verdict; its lease runs out. */
  void abort() {
    if (state == State.DONE) {
      return;
    }
    log.info("abandoning build buildId={} state={}", id, state);
    settle();
    done.tryFail(new IllegalStateException("builder stopping"));
  }

  /** Another builder took the build over (this one was too slow to renew). */
  private void claimLost() {
    log.warn("build taken over by another builder, stopping here buildId={}", id);
    settle();
    done.tryComplete();
  }

  private void settle() {
    token.cancel(CancelToken.Reason.ABORTED);
    if (state == State.QUEUED) {
      deps.executor().remove(this);
    }
    state = State.DONE;
    stopTimers();
    if (logs != null) {
      logs.close();
    }
  }

  private void fail(Throwable cause) {
    if (state == State.DONE) {
      return;
    }
    log.warn(
        "build handling failed, the command will be retried buildId={} error={}",
        id,
        String.valueOf(cause));
    settle();
    done.tryFail(cause);
  }

  private void complete() {
    state = State.DONE;
    stopTimers();
    done.tryComplete();
  }

  // ---- verdicts ----

  private void finishCancelled() {
    logs.system("build cancelled");
    BuildPhase at = phase;
    finish("cancelled", lines -> new BuildCancelled(id, at, lines, Instant.now()));
  }

  private void finishFailed(BuildFailureReason reason, String message) {
    logs.system("build failed: " + message);
    BuildPhase at = phase;
    finish("failed", lines -> new BuildFailed(id, at, reason, message, lines, Instant.now()));
  }

  /**
   * Waits for every log line's ack, records the verdict in the claim, publishes it, marks it
   * published; only then may the command be acked.
   */
  private void finish(String verdict, LongFunction<BuildEvent> event) {
    state = State.FINISHING;
    cancelTimer(timeoutTimer);
    timeoutTimer = -1;
    cancelTimer(graceTimer);
    graceTimer = -1;
    logs.drain()
        .compose(
            lastSeq -> {
              CloudEvent<BuildEvent> terminal =
                  CloudEvent.of(deps.publisher().source(), id, event.apply(lastSeq));
              return deps.claims()
                  .finish(id, verdict, encode(terminal))
                  .compose(
                      owned -> {
                        if (!owned) {
                          log.warn("verdict dropped, another builder has the build buildId={}", id);
                          return Future.succeededFuture();
                        }
                        return deps.publisher()
                            .publish(deps.topics().buildEvents(), id, terminal)
                            .compose(m -> deps.claims().published(id))
                            .onSuccess(
                                v ->
                                    log.info(
                                        "build finished buildId={} status={} attempt={} logLines={}"
                                            + " tookMs={}",
                                        id,
                                        verdict,
                                        attempt,
                                        lastSeq,
                                        startedAt == null
                                            ? 0
                                            : Duration.between(startedAt, Instant.now())
                                                .toMillis()));
                      });
            })
        .onSuccess(v -> complete())
        .onFailure(this::fail);
  }

  private Future<?> publish(BuildEvent event) {
    return deps.publisher().publish(deps.topics().buildEvents(), id, event);
  }

  private void stopTimers() {
    cancelTimer(renewTimer);
    cancelTimer(timeoutTimer);
    cancelTimer(watchTimer);
    cancelTimer(graceTimer);
    renewTimer = timeoutTimer = watchTimer = graceTimer = -1;
  }

  private void cancelTimer(long timer) {
    if (timer >= 0) {
      deps.vertx().cancelTimer(timer);
    }
  }

  // ---- the verdict as kept in the claim ----

  private static String encode(CloudEvent<BuildEvent> event) {
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("id", event.id());
    node.put("source", event.source());
    node.put("time", event.time().toString());
    node.put("type", event.type());
    node.set("data", Json.mapper().valueToTree(event.data()));
    return node.toString();
  }

  private CloudEvent<BuildEvent> decode(String json) {
    try {
      JsonNode node = Json.mapper().readTree(json);
      String type = node.get("type").asText();
      Class<? extends BuildEvent> eventClass =
          deps.topics()
              .buildEvents()
              .classFor(type)
              .orElseThrow(() -> new IllegalStateException("unknown stored event type " + type));
      BuildEvent data = Json.mapper().treeToValue(node.get("data"), eventClass);
      return new CloudEvent<>(
          node.get("id").asText(),
          node.get("source").asText(),
          id,
          Instant.parse(node.get("time").asText()),
          data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
