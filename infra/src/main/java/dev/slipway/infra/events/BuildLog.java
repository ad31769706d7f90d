package dev.slipway.infra.events;

import java.util.List;
import java.util.Objects;

/**
 * Build output on {@code slipway.build.logs}, keyed by build id; published by the builder, consumed
 * by the reconciler into the build's Redis log stream.
 */
public sealed interface BuildLog extends SlipwayEvent {

  /** The build the output belongs to. */
  String buildId();

  /** The Kafka record key: the build id. */
  @Override
  default String key() {
    return buildId();
  }

  /**
   * Consecutive lines of a build's output; emitted by the builder every few lines or milliseconds.
   *
   * @param lines at least one line, with contiguous {@link LogLine#seq()} numbers
   */
  @EventType(EventTypes.BUILD_LOG_BATCH)
  record BuildLogBatch(String buildId, List<LogLine> lines) implements BuildLog {

    public BuildLogBatch {
      Objects.requireNonNull(buildId, "buildId");
      lines = lines == null ? List.of() : List.copyOf(lines);
      if (lines.isEmpty()) {
        throw new IllegalArgumentException("a log batch has at least one line");
      }
      for (int i = 1; i < lines.size(); i++) {
        if (lines.get(i).seq() != lines.get(i - 1).seq() + 1) {
          throw new IllegalArgumentException(
              "log lines must be contiguous: "
                  + lines.get(i - 1).seq()
                  + " is followed by "
                  + lines.get(i).seq());
        }
      }
    }

    /** The sequence number of the first line. */
    public long firstSeq() {
      return lines.getFirst().seq();
    }

    /** The sequence number of the last line: where a reader resumes after this batch. */
    public long lastSeq() {
      return lines.getLast().seq();
    }
  }
}
