package dev.slipway.reconciler.containers;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * A work queue by key, as Kubernetes controllers keep one: a key waits at most once however often
 * it is added (a burst coalesces into one pass), a key is never worked on twice at the same time,
 * and a key added while its pass runs gets one more pass afterwards, so the last change is never
 * lost.
 *
 * <p>Not thread-safe: use it from one Vert.x context.
 *
 * @param <K> the key, e.g. a container id
 * @param <V> a hint carried to the worker, merged when a key is added again while waiting
 */
public final class KeyedWorkQueue<K, V> {

  /** One pass over a key; the returned Future ends the pass. */
  @FunctionalInterface
  public interface Worker<K, V> {
    Future<?> work(K key, V hint);
  }

  private static final class Slot<V> {
    V hint;
    final List<Promise<Void>> waiters = new ArrayList<>();
  }

  private final int concurrency;
  private final BinaryOperator<V> merge;
  private final Worker<K, V> worker;
  private final Map<K, Slot<V>> waiting = new LinkedHashMap<>();
  private final Set<K> running = new HashSet<>();
  private final List<Promise<Void>> idle = new ArrayList<>();
  private boolean closed;
  private boolean pumping;
  private boolean pumpAgain;

  /**
   * @param concurrency passes that run at once (over distinct keys)
   * @param merge combines the waiting hint with a new one; either may be {@code null}
   */
  public KeyedWorkQueue(int concurrency, BinaryOperator<V> merge, Worker<K, V> worker) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    this.concurrency = concurrency;
    this.merge = merge;
    this.worker = worker;
  }

  /**
   * Marks {@code key} dirty.
   *
   * @return completes when a pass over the key that started after this call has ended; fails with
   *     that pass's failure
   */
  public Future<Void> add(K key, V hint) {
    Promise<Void> done = Promise.promise();
    if (closed) {
      done.fail(new IllegalStateException("work queue is closed"));
      return done.future();
    }
    Slot<V> slot = waiting.get(key);
    if (slot == null) {
      slot = new Slot<>();
      slot.hint = hint;
      waiting.put(key, slot);
    } else {
      slot.hint = merge.apply(slot.hint, hint);
    }
    slot.waiters.add(done);
    pump();
    return done.future();
  }

  /** Keys waiting for a pass. */
  public int waiting() {
    return waiting.size();
  }

  /** Passes running now. */
  public int running() {
    return running.size();
  }

  /** Starts no more passes; waiting keys are dropped and their waiters failed. */
  public void close() {
    closed = true;
    List<Slot<V>> dropped = new ArrayList<>(waiting.values());
    waiting.clear();
    for (Slot<V> slot : dropped) {
      slot.waiters.forEach(p -> p.tryFail("work queue is closed"));
    }
  }

  /** Completes once no pass runs: right away when none does. */
  public Future<Void> whenIdle() {
    Promise<Void> done = Promise.promise();
    if (running.isEmpty()) {
      done.complete();
    } else {
      idle.add(done);
    }
    return done.future();
  }

  // A pass that ends at once calls back into pump(); looping instead of recursing keeps the stack
  // flat however many keys wait.
  private void pump() {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        startSome();
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  private void startSome() {
    Iterator<Map.Entry<K, Slot<V>>> it = waiting.entrySet().iterator();
    List<Map.Entry<K, Slot<V>>> starting = new ArrayList<>();
    while (it.hasNext() && running.size() + starting.size() < concurrency) {
      Map.Entry<K, Slot<V>> next = it.next();
      if (!running.contains(next.getKey())) {
        starting.add(next);
        it.remove();
      }
    }
    for (Map.Entry<K, Slot<V>> start : starting) {
      running.add(start.getKey());
    }
    for (Map.Entry<K, Slot<V>> start : starting) {
      run(start.getKey(), start.getValue());
    }
  }

  private void run(K key, Slot<V> slot) {
    Future<?> pass;
    try {
      pass = worker.work(key, slot.hint);
    } catch (RuntimeException e) {
      pass = Future.failedFuture(e);
    }
    pass.onComplete(
        ar -> {
          running.remove(key);
          for (Promise<Void> waiter : slot.waiters) {
            if (ar.succeeded()) {
              waiter.tryComplete();
            } else {
              waiter.tryFail(ar.cause());
            }
          }
          if (!closed) {
            pump();
          }
          if (running.isEmpty() && !idle.isEmpty()) {
            List<Promise<Void>> waiters = new ArrayList<>(idle);
            idle.clear();
            waiters.forEach(Promise::tryComplete);
          }
        });
  }
}
