package dev.slipway.infra.events;

import com.fasterxml.jackson.annotation.JsonValue;

/** A step of a deploy, in order; reported by the deployer in deploy phase and failure events. */
public enum DeployPhase {
  VALIDATE,
  PULL,
  CREATE,
  START,
  HEALTH_GATE,
  RECORD,
  SWITCH,
  DRAIN,
  REMOVE_OLD;

  /** The JSON value: the lowercase constant name. */
  @JsonValue
  public String wire() {
    return WireNames.of(this);
  }

  /** The constant for a JSON value. */
  public static DeployPhase of(String wire) {
    return WireNames.parse(values(), DeployPhase::wire, "deploy phase", wire);
  }
}
