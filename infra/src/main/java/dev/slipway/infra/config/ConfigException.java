package dev.slipway.infra.config;

/** A configuration value that cannot work; the message names the variable and what it accepts. */
public final class ConfigException extends RuntimeException {

  private final String variable;

  public ConfigException(String variable, String message) {
    super(variable + ": " + message);
    this.variable = variable;
  }

  /** The environment variable at fault, e.g. {@code SLIPWAY_HTTP_PORT}. */
  public String variable() {
    return variable;
  }
}
