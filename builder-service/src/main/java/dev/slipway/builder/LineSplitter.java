package dev.slipway.builder;

import dev.slipway.infra.events.LogStream;

/**
 * Turns chunks of output (docker streams arrive in arbitrary pieces) into whole lines. A bare
 * carriage return ends a line too, so progress bars become lines instead of one endless line.
 */
final class LineSplitter {

  /** Longer lines are cut: one line must not make a batch too large for Kafka. */
  static final int MAX_LINE = 8192;

  private final LogSink sink;
  private final LogStream stream;
  private final StringBuilder partial = new StringBuilder();
  private boolean lastWasCr;

  LineSplitter(LogSink sink, LogStream stream) {
    this.sink = sink;
    this.stream = stream;
  }

  synchronized void accept(String chunk) {
    if (chunk == null) {
      return;
    }
    int i = 0;
    int n = chunk.length();
    // A chunk holds many lines: copy each run up to its terminator at once, not char by char.
    while (i < n) {
      char c = chunk.charAt(i);
      if (c == '\n') {
        if (!lastWasCr) {
          emit();
        }
        lastWasCr = false;
        i++;
      } else if (c == '\r') {
        emit();
        lastWasCr = true;
        i++;
      } else {
        lastWasCr = false;
        int end = i;
        while (end < n && chunk.charAt(end) != '\n' && chunk.charAt(end) != '\r') {
          end++;
        }
        add(chunk, i, end);
        i = end;
      }
    }
  }

  private void add(String chunk, int from, int to) {
    int room = MAX_LINE - partial.length();
    if (room > 0) {
      partial.append(chunk, from, Math.min(to, from + room));
    }
    if (to - from > room && partial.length() == MAX_LINE) {
      partial.append('…');
    }
  }

  /** Emits what is left without a terminator. */
  synchronized void finish() {
    if (!partial.isEmpty()) {
      emit();
    }
  }

  private void emit() {
    sink.line(stream, partial.toString());
    partial.setLength(0);
  }
}
