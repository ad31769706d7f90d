package dev.slipway.reconciler.containers;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The container projection the reconciler writes (Redis in production). */
public interface ContainerStore {

  /** The entry of a container, or {@code null} when the projection has none. */
  Future<ContainerEntry> read(String containerId);

  /** Ids in the projection's container set. */
  Future<Set<String>> ids();

  /**
   * Replaces the container's entry whole, adds it to the container set and appends {@code feed}
   * entries to the change feed, all at once.
   */
  Future<Void> write(ContainerEntry entry, List<Map<String, String>> feed);

  /** Removes the entry and its id from the container set. */
  Future<Void> remove(String containerId);

  /** Appends entries to the change feed. */
  Future<Void> appendFeed(List<Map<String, String>> feed);
}
