package dev.slipway.deployer;

import java.util.Map;

/**
 * One edge router's report ({@code edge:<instance>}): the routes version it serves and its requests
 * in flight per upstream.
 */
public record EdgeReport(String instance, long version, Map<String, Long> inflight) {

  public EdgeReport {
    inflight = Map.copyOf(inflight);
  }

  /** Whether this edge serves {@code version} or newer and has nothing in flight to upstream. */
  public boolean drained(long version, String upstream) {
    return this.version >= version && inflight.getOrDefault(upstream, 0L) <= 0;
  }
}
