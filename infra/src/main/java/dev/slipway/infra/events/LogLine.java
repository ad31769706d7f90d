package dev.slipway.infra.events;

import java.time.Instant;
import java.util.Objects;

/**
 * One line of build output, inside a {@link BuildLog.BuildLogBatch} the builder emits.
 *
 * @param seq per-build sequence number: starts at 1, no gaps, so a reader can resume after the last
 *     one it saw and detect loss
 * @param time when the builder read the line
 * @param stream where the line came from
 * @param text the line, without its line terminator
 */
public record LogLine(long seq, Instant time, LogStream stream, String text) {

  public LogLine {
    if (seq < 1) {
      throw new IllegalArgumentException("seq starts at 1, not " + seq);
    }
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(text, "text");
  }
}
