package dev.slipway.infra.vertx;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;

/**
 * Runs blocking work (docker-java, JGit, Kafka admin, file I/O) on a virtual thread and completes
 * the returned Future back on the caller's Vert.x context, so an event loop never waits.
 */
public final class Blocking {

  private static final ThreadFactory THREADS =
      Thread.ofVirtual().name("slipway-blocking-", 0).factory();

  private Blocking() {}

  public static <T> Future<T> run(Vertx vertx, Callable<T> work) {
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    THREADS
        .newThread(
            () -> {
              try {
                T value = work.call();
                context.runOnContext(v -> promise.complete(value));
              } catch (Throwable e) {
                context.runOnContext(v -> promise.fail(e));
              }
            })
        .start();
    return promise.future();
  }
}
