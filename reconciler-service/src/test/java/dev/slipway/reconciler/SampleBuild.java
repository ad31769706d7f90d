package dev.slipway.reconciler;

import dev.slipway.infra.events.BuildEvent.BuildCancelled;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildPhaseChanged;
import dev.slipway.infra.events.BuildEvent.BuildQueued;
import dev.slipway.infra.events.BuildEvent.BuildStarted;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildFailureReason;
import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.events.LogStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The events a builder publishes for one build, at times a test chooses (step n = n × 250 ms). */
final class SampleBuild {

  static final String REPOSITORY = "https://git.example.test/shop/web.git";
  static final String IMAGE = "registry.local:5000/shop/web";
  static final List<String> TAGS = List.of("v1.4.0", "latest");
  static final String COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b";
  static final String IMAGE_ID =
      "sha256:9b2a1c0e5f4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b";
  static final String DIGEST =
      "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
  static final DeploySpec DEPLOY =
      new DeploySpec(
          "web",
          IMAGE + ":v1.4.0",
          DeploySpec.Strategy.BLUE_GREEN,
          8080,
          Map.of("LOG_LEVEL", "info"),
          null,
          null,
          List.of(),
          List.of(),
          Map.of(),
          null);

  final String id;
  final Instant t0;

  SampleBuild(Instant t0) {
    this.id = "b-" + UUID.randomUUID();
    this.t0 = t0.truncatedTo(ChronoUnit.MICROS);
  }

  Instant at(int step) {
    return t0.plusMillis(250L * step);
  }

  BuildQueued queued() {
    return new BuildQueued(id, REPOSITORY, "main", IMAGE, TAGS, at(0));
  }

  BuildStarted started(String builder, int attempt, int step) {
    return new BuildStarted(id, builder, attempt, at(step));
  }

  BuildPhaseChanged phase(BuildPhase phase, int step) {
    return new BuildPhaseChanged(id, phase, at(step));
  }

  /** Lines {@code from..to} on stdout, each saying which build and line it is. */
  BuildLogBatch lines(int from, int to) {
    return lines(from, to, LogStream.STDOUT);
  }

  BuildLogBatch lines(int from, int to, LogStream stream) {
    List<LogLine> lines = new ArrayList<>();
    for (int seq = from; seq <= to; seq++) {
      lines.add(new LogLine(seq, t0.plusMillis(seq), stream, text(seq)));
    }
    return new BuildLogBatch(id, lines);
  }

  String text(int seq) {
    return "step " + seq + " of " + id + " \"quoted\" ünïcode";
  }

  List<String> texts(int from, int to) {
    List<String> texts = new ArrayList<>();
    for (int seq = from; seq <= to; seq++) {
      texts.add(text(seq));
    }
    return texts;
  }

  BuildSucceeded succeeded(long logLines, int step) {
    return new BuildSucceeded(
        id, COMMIT, IMAGE, IMAGE_ID, DIGEST, TAGS, DEPLOY, at(1), logLines, at(step));
  }

  BuildFailed failed(
      BuildPhase phase, BuildFailureReason reason, String message, Long logLines, int step) {
    return new BuildFailed(id, phase, reason, message, logLines, at(step));
  }

  BuildCancelled cancelled(BuildPhase phase, long logLines, int step) {
    return new BuildCancelled(id, phase, logLines, at(step));
  }
}
