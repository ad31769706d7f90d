package dev.slipway.builder;

import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Runs at most {@code slots} builds at once in this instance, the rest waiting in arrival order.
 * Used on one Vert.x context only.
 */
final class BuildExecutor {

  /** Something the executor runs; its Future says when the slot is free again. */
  interface Task extends Supplier<Future<?>> {}

  private final int slots;
  private final ArrayDeque<Task> queue = new ArrayDeque<>();
  private int running;

  BuildExecutor(int slots) {
    if (slots < 1) {
      throw new IllegalArgumentException("need at least one slot");
    }
    this.slots = slots;
  }

  void submit(Task task) {
    queue.add(task);
    pump();
  }

  /** Takes a task out of the queue; false when it already started (or was never queued). */
  boolean remove(Task task) {
    return queue.remove(task);
  }

  int running() {
    return running;
  }

  int queued() {
    return queue.size();
  }

  private void pump() {
    while (running < slots && !queue.isEmpty()) {
      Task task = queue.poll();
      running++;
      Future<?> done;
      try {
        done = task.get();
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      done.onComplete(
          ar -> {
            running--;
            pump();
          });
    }
  }
}
