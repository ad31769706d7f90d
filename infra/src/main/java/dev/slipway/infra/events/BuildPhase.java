package dev.slipway.infra.events;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A step of a build, in order; reported by the builder in build phase, failure and cancellation
 * events.
 */
public enum BuildPhase {
  CLONE,
  BUILD,
  PUSH;

  /** The JSON value: the lowercase constant name. */
  @JsonValue
  public String wire() {
    return WireNames.of(this);
  }

  /** The constant for a JSON value. */
  public static BuildPhase of(String wire) {
    return WireNames.parse(values(), BuildPhase::wire, "build phase", wire);
  }
}
