package dev.slipway.infra.events;

import com.fasterxml.jackson.annotation.JsonValue;

/** Where a build log line came from: the build's stdout or stderr, or the builder itself. */
public enum LogStream {
  STDOUT,
  STDERR,
  SYSTEM;

  /** The JSON value: the lowercase constant name. */
  @JsonValue
  public String wire() {
    return WireNames.of(this);
  }

  /** The constant for a JSON value. */
  public static LogStream of(String wire) {
    return WireNames.parse(values(), LogStream::wire, "log stream", wire);
  }
}
