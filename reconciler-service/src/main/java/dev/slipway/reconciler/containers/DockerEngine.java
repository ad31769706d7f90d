package dev.slipway.reconciler.containers;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the reconciler needs from the Docker engine, and nothing more: it only reads. Every method
 * blocks; callers run them on virtual threads, never on an event loop.
 */
public interface DockerEngine {

  /** Ids of every container, running or not, that carries {@code dev.slipway.managed=true}. */
  List<String> listManaged();

  /** The container as the engine has it now; empty when the engine no longer has it. */
  Optional<ContainerSnapshot> inspect(String containerId);

  /**
   * Streams container events of managed containers from {@code since} on (events the engine still
   * holds from before now are replayed first). The listener is called on the stream's thread; it
   * gets {@link Listener#closed} once when the stream ends or fails, and not after {@link
   * Subscription#close()}.
   *
   * @throws RuntimeException when the stream cannot be opened
   */
  Subscription events(Instant since, Listener listener);

  /**
   * Checks that the engine answers.
   *
   * @throws RuntimeException when it does not
   */
  void ping();

  /** Receives the engine's container events. */
  interface Listener {
    void event(EngineEvent event);

    /**
     * The stream ended.
     *
     * @param error why, or {@code null} when the engine ended it
     */
    void closed(Throwable error);
  }

  /** An open event stream. */
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * One engine event about a container.
   *
   * @param action e.g. {@code create}, {@code start}, {@code die}, {@code health_status: healthy},
   *     {@code exec_start: sh -c ...}
   * @param time when the engine recorded it
   */
  record EngineEvent(String containerId, String action, Instant time) {
    public EngineEvent {
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(time, "time");
    }

    /** Health checks run as execs: their events say nothing about the container's state. */
    public boolean isExec() {
      return action.startsWith("exec_");
    }

    /**
     * A signal was sent. What it does to the container arrives as its own event ({@code die}); a
     * pass for the signal alone would only delay the pass for the change.
     */
    public boolean isSignal() {
      return action.equals("kill");
    }
  }
}
