package dev.slipway.infra.events;

import com.fasterxml.jackson.annotation.JsonValue;

/** How a managed container differs from its app's desired state; reported by the reconciler. */
public enum DriftKind {
  MISSING,
  STOPPED,
  IMAGE_DIFFERS,
  UNEXPECTED;

  /** The JSON value: the lowercase constant name. */
  @JsonValue
  public String wire() {
    return WireNames.of(this);
  }

  /** The constant for a JSON value. */
  public static DriftKind of(String wire) {
    return WireNames.parse(values(), DriftKind::wire, "drift kind", wire);
  }
}
