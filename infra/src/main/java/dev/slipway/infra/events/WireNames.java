package dev.slipway.infra.events;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Lowercase wire names of the contract enums, shared by their {@code of(String)} parsers. */
final class WireNames {

  private WireNames() {}

  static String of(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  static <E extends Enum<E>> E parse(E[] values, Function<E, String> wire, String what, String s) {
    for (E value : values) {
      if (wire.apply(value).equals(s)) {
        return value;
      }
    }
    throw new IllegalArgumentException(
        what
            + " must be one of "
            + Arrays.stream(values).map(wire).collect(Collectors.joining(", "))
            + ", not "
            + s);
  }
}
