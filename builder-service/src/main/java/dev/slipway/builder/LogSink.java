package dev.slipway.builder;

import dev.slipway.infra.events.LogStream;

/** Where a build's output lines go; callable from any thread. */
@FunctionalInterface
interface LogSink {

  /** One line, without its terminator. */
  void line(LogStream stream, String text);

  default void system(String text) {
    line(LogStream.SYSTEM, text);
  }
}
