package dev.slipway.gateway.edge;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Requests in flight per upstream, shared by every router instance and read by the reporter. An
 * upstream is present only while it has requests in flight, so the map stays as small as the set of
 * busy upstreams however many deploys come and go.
 */
public final class InFlight {

  private final ConcurrentHashMap<Upstream, Integer> counts = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Consumer<Upstream>> idleListeners =
      new CopyOnWriteArrayList<>();

  /** Counts one more request to {@code upstream}; release the lease when it has ended. */
  public Lease acquire(Upstream upstream) {
    counts.merge(upstream, 1, Integer::sum);
    return new Lease(upstream);
  }

  /** The requests in flight to {@code upstream} right now. */
  public int count(Upstream upstream) {
    return counts.getOrDefault(upstream, 0);
  }

  /** A copy of every non-zero count. */
  public Map<Upstream, Integer> snapshot() {
    return Map.copyOf(counts);
  }

  /** Called (on the releasing thread) whenever an upstream's count drops to zero. */
  public void onIdle(Consumer<Upstream> listener) {
    idleListeners.add(listener);
  }

  private void release(Upstream upstream) {
    // Atomic per key: a concurrent acquire either lands before (count stays) or after (re-adds).
    Integer left = counts.computeIfPresent(upstream, (u, n) -> n <= 1 ? null : n - 1);
    if (left == null) {
      idleListeners.forEach(listener -> listener.accept(upstream));
    }
  }

  /** One counted request; {@link #release()} is idempotent. */
  public final class Lease {
    private final Upstream upstream;
    private final AtomicBoolean released = new AtomicBoolean();

    private Lease(Upstream upstream) {
      this.upstream = upstream;
    }

    public Upstream upstream() {
      return upstream;
    }

    public void release() {
      if (released.compareAndSet(false, true)) {
        InFlight.this.release(upstream);
      }
    }
  }
}
