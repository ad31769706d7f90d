package dev.slipway.reconciler.containers;

import io.vertx.core.Future;
import java.util.Set;

/** The apps' desired state, written by the deployer (Redis in production); read-only here. */
public interface DesiredStates {

  /** Names of every app. */
  Future<Set<String>> apps();

  /** The app's desired state, or {@code null} when it has none. */
  Future<AppState> app(String name);
}
