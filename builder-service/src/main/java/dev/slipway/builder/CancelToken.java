package dev.slipway.builder;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops one build's blocking work: whatever is registered (a docker-java stream, a git transfer) is
 * closed and the worker thread is interrupted, so a clone or build stops within moments instead of
 * running to its end. The first reason wins.
 */
final class CancelToken {

  private static final Logger log = LoggerFactory.getLogger(CancelToken.class);

  /** Why the work stops. */
  enum Reason {
    /** A user asked. */
    CANCELLED,
    /** The build ran past its time limit. */
    TIMEOUT,
    /** This builder is stopping, or another builder took the build over: no verdict. */
    ABORTED
  }

  /** Thrown by blocking work that noticed the token was cancelled. */
  static final class Cancelled extends RuntimeException {
    Cancelled(Reason reason) {
      super("build stopped: " + reason, null, false, false);
    }
  }

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private volatile Reason reason;
  private Thread worker;

  /** Cancels; returns false when it already was. */
  boolean cancel(Reason why) {
    List<AutoCloseable> toClose;
    synchronized (this) {
      if (reason != null) {
        return false;
      }
      reason = why;
      toClose = List.copyOf(closeables);
      closeables.clear();
      if (worker != null) {
        worker.interrupt();
      }
    }
    toClose.forEach(CancelToken::closeQuietly);
    return true;
  }

  boolean isCancelled() {
    return reason != null;
  }

  /** The reason, or {@code null} while not cancelled. */
  Reason reason() {
    return reason;
  }

  void throwIfCancelled() {
    Reason why = reason;
    if (why != null) {
      throw new Cancelled(why);
    }
  }

  /**
   * Closes {@code closeable} on cancel (at once when already cancelled); the returned handle
   * unregisters it once the work it guards is over.
   */
  AutoCloseable onCancel(AutoCloseable closeable) {
    boolean now;
    synchronized (this) {
      now = reason != null;
      if (!now) {
        closeables.add(closeable);
      }
    }
    if (now) {
      closeQuietly(closeable);
    }
    return () -> {
      synchronized (this) {
        closeables.remove(closeable);
      }
    };
  }

  /** Makes the calling thread the one a cancel interrupts, until {@link #unbind()}. */
  synchronized void bind() {
    worker = Thread.currentThread();
    if (reason != null) {
      worker.interrupt();
    }
  }

  /** No more interrupts for the calling thread; clears one that already arrived. */
  void unbind() {
    synchronized (this) {
      worker = null;
    }
    Thread.interrupted();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      log.debug("close on cancel failed", e);
    }
  }
}
