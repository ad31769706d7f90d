package dev.slipway.deployer;

import io.vertx.core.Future;
import java.time.Duration;

/** One HTTP health probe of a container, through its port published on 127.0.0.1. */
public interface HealthProbe {

  /**
   * Probes {@code GET http://127.0.0.1:<hostPort><path>}; never fails, it reports.
   *
   * @return whether it answered 2xx or 3xx within {@code timeout}, and what it answered
   */
  Future<Result> check(int hostPort, String path, Duration timeout);

  /** A probe's outcome; {@code detail} says what came back, for failure messages. */
  record Result(boolean healthy, String detail) {}
}
