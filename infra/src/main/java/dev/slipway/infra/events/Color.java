package dev.slipway.infra.events;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The slot of an app's container in a blue-green deploy; set by the deployer, carried in deploy
 * events, the {@code dev.slipway.color} label and container names.
 */
public enum Color {
  BLUE,
  GREEN;

  /** The JSON and label value: {@code blue} or {@code green}. */
  @JsonValue
  public String wire() {
    return WireNames.of(this);
  }

  /** The color a blue-green deploy puts the next revision in. */
  public Color other() {
    return this == BLUE ? GREEN : BLUE;
  }

  /** The constant for a JSON or label value. */
  public static Color of(String wire) {
    return WireNames.parse(values(), Color::wire, "color", wire);
  }
}
