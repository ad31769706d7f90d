package dev.slipway.infra.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of {@code SLIPWAY_*} environment variables. Every read either returns a valid value
 * or throws a {@link ConfigException} that names the variable and what it accepts.
 */
public final class Env {

  private static final Pattern DURATION =
      Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private final Map<String, String> vars;

  public Env(Map<String, String> vars) {
    this.vars = Map.copyOf(vars);
  }

  /** The process environment. */
  public static Env system() {
    return new Env(System.getenv());
  }

  /** The raw value, absent when unset or blank. */
  public Optional<String> optional(String name) {
    String value = vars.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  public String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  public int integer(String name, int defaultValue, int min, int max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value < min || value > max) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new ConfigException(
          name, "'" + raw.get() + "' is not a whole number from " + min + " to " + max);
    }
  }

  /**
   * A duration such as {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h} or {@code 7d}.
   *
   * @throws ConfigException naming the variable when the value is not one
   */
  public Duration duration(String name, Duration defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    Matcher m = DURATION.matcher(raw.get());
    if (!m.matches()) {
      throw new ConfigException(
          name, "'" + raw.get() + "' is not a duration such as 500ms, 30s, 10m, 1h or 7d");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }

  public int port(String name, int defaultValue) {
    return integer(name, defaultValue, 0, 65535);
  }

  public URI uri(String name, String defaultValue, Set<String> schemes) {
    String raw = string(name, defaultValue);
    try {
      URI uri = new URI(raw);
      if (uri.getScheme() == null || !schemes.contains(uri.getScheme())) {
        throw new URISyntaxException(raw, "scheme");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(
          name, "'" + raw + "' is not a URL with a scheme of " + String.join(", ", schemes));
    }
  }

  public Path path(String name, Path defaultValue) {
    return optional(name).map(Path::of).orElse(defaultValue).toAbsolutePath().normalize();
  }

  /** A comma-separated list; blank entries are dropped. */
  public List<String> list(String name, String defaultValue) {
    return Arrays.stream(string(name, defaultValue).split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }
}
