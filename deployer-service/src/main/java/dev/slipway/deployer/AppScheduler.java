package dev.slipway.deployer;

import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployCommand.ReconcileRequested;
import dev.slipway.infra.events.DeployCommand.RemoveRequested;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs deploy commands one per app at a time, apps in parallel up to a limit, each on a virtual
 * thread of its own. Commands of an app wait in arrival order; a newer deploy, rollback or removal
 * supersedes a deploy or rollback still waiting (reported, not dropped), and a waiting reconcile is
 * absorbed by any newer command, since whatever runs next re-reads reality anyway.
 *
 * <p>Each command's Future completes when its effect is done (or it was superseded and that was
 * reported), so the consumer commits its offset only then.
 */
public final class AppScheduler {

  private static final Logger log = LoggerFactory.getLogger(AppScheduler.class);
  private static final Duration SUPERSEDE_RETRY = Duration.ofSeconds(1);
  private static final int SUPERSEDE_ATTEMPTS = 30;

  /** What runs the commands; both methods block and run on virtual threads. */
  public interface Runner {
    void run(DeployCommand command);

    void supersede(DeployCommand older, DeployCommand newer);
  }

  private final Runner runner;
  private final int maxRunning;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private int running;
  private boolean stopped;

  private static final class Slot {
    Job running;
    final ArrayDeque<Job> waiting = new ArrayDeque<>();
  }

  private record Job(DeployCommand command, Context context, Promise<Void> done) {
    void complete(Throwable error) {
      context.runOnContext(
          v -> {
            if (error == null) {
              done.tryComplete();
            } else {
              done.tryFail(error);
            }
          });
    }
  }

  public AppScheduler(Runner runner, int maxRunning) {
    this.runner = runner;
    this.maxRunning = maxRunning;
  }

  /**
   * Queues a command; call it on a Vert.x context, where the returned Future completes.
   *
   * @return completes when the command has run (or was superseded and that is reported); fails when
   *     its outcome could not be recorded, so the consumer retries it
   */
  public Future<Void> submit(DeployCommand command, Context context) {
    Job job = new Job(command, context, Promise.promise());
    List<Job> superseded = new ArrayList<>();
    boolean absorbed = false;
    lock.lock();
    try {
      if (stopped) {
        return Future.failedFuture(new IllegalStateException("deployer is stopping"));
      }
      Slot slot = slots.computeIfAbsent(command.app(), a -> new Slot());
      if (command instanceof ReconcileRequested) {
        absorbed = !slot.waiting.isEmpty();
      } else {
        for (Iterator<Job> it = slot.waiting.iterator(); it.hasNext(); ) {
          Job waiting = it.next();
          if (waiting.command() instanceof ReconcileRequested) {
            it.remove();
            waiting.complete(null);
          } else if (!(waiting.command() instanceof RemoveRequested)) {
            it.remove();
            superseded.add(waiting);
          }
        }
      }
      if (!absorbed) {
        slot.waiting.add(job);
        dispatch();
      }
    } finally {
      lock.unlock();
    }
    if (absorbed) {
      log.info("reconcile absorbed by a waiting command app={}", command.app());
      return Future.succeededFuture();
    }
    for (Job older : superseded) {
      Thread.ofVirtual()
          .name("slipway-supersede-" + command.app())
          .start(() -> reportSuperseded(older, command));
    }
    return job.done().future();
  }

  /** Starts no new command; running ones finish on their own. */
  public void stop() {
    lock.lock();
    try {
      stopped = true;
    } finally {
      lock.unlock();
    }
  }

  /** How many commands run now. */
  public int running() {
    lock.lock();
    try {
      return running;
    } finally {
      lock.unlock();
    }
  }

  // Caller holds the lock.
  private void dispatch() {
    if (stopped) {
      return;
    }
    for (Map.Entry<String, Slot> entry : slots.entrySet()) {
      if (running >= maxRunning) {
        return;
      }
      Slot slot = entry.getValue();
      if (slot.running == null && !slot.waiting.isEmpty()) {
        Job job = slot.waiting.poll();
        slot.running = job;
        running++;
        String app = entry.getKey();
        Thread.ofVirtual().name("slipway-deploy-" + app).start(() -> execute(app, job));
      }
    }
  }

  private void execute(String app, Job job) {
    Throwable error = null;
    try {
      runner.run(job.command());
    } catch (RuntimeException e) {
      error = e;
      log.error(
          "deploy command failed, it will be retried app={} type={} error=\"{}\"",
          app,
          job.command().type(),
          e.toString());
    } finally {
      lock.lock();
      try {
        Slot slot = slots.get(app);
        slot.running = null;
        running--;
        if (slot.waiting.isEmpty()) {
          slots.remove(app);
        }
        dispatch();
      } finally {
        lock.unlock();
      }
    }
    job.complete(error);
  }

  private void reportSuperseded(Job older, DeployCommand newer) {
    for (int attempt = 1; attempt <= SUPERSEDE_ATTEMPTS; attempt++) {
      try {
        runner.supersede(older.command(), newer);
        break;
      } catch (RuntimeException e) {
        log.warn(
            "superseded report failed app={} attempt={} error=\"{}\"",
            older.command().app(),
            attempt,
            e.toString());
        try {
          Thread.sleep(SUPERSEDE_RETRY);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    // The command is not run either way; retrying it would run it after its successor.
    older.complete(null);
  }
}
