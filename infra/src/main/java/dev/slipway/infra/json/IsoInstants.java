package dev.slipway.infra.json;

import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;
import java.time.format.DateTimeParseException;

/**
 * ISO-8601 UTC times written and read without {@link java.time.format.DateTimeFormatter}, for the
 * paths that handle one per log line: every line carries its time from the builder through Kafka
 * and the reconciler to Redis, and the formatter's general machinery cost more than the rest of a
 * line's decoding (async-profiler on the reconciler during a 10,000-line build: 19 of 32 ms of
 * decoding were {@code Instant} parsing).
 *
 * <p>Output is exactly what {@link Instant#toString()} writes, and {@link #parse} reads what it
 * writes; a time outside years 0000–9999, or written another way, goes through {@link
 * Instant#parse}.
 */
public final class IsoInstants {

  private static final long SECONDS_PER_DAY = 86_400;

  /** 10^n for n = 0..9: the scale of a fraction of n digits. */
  private static final int[] POW10 = {
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000
  };

  private IsoInstants() {}

  /** Same text as {@link Instant#toString()}: the fraction in groups of three digits, or none. */
  public static String format(Instant time) {
    int nanos = time.getNano();
    int digits = nanos == 0 ? 0 : nanos % 1_000_000 == 0 ? 3 : nanos % 1_000 == 0 ? 6 : 9;
    return write(time, digits);
  }

  /** With exactly six fraction digits (microseconds), so that string order is time order. */
  public static String formatMicros(Instant time) {
    return write(time, 6);
  }

  /**
   * Reads {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z} directly and anything else {@link Instant#parse}
   * accepts (an offset instead of {@code Z}, for one) through it.
   *
   * @throws DateTimeParseException when the text is not an ISO-8601 instant
   */
  public static Instant parse(CharSequence text) {
    Instant fast = parseUtc(text);
    return fast != null ? fast : Instant.parse(text);
  }

  private static String write(Instant time, int digits) {
    long seconds = time.getEpochSecond();
    long day = Math.floorDiv(seconds, SECONDS_PER_DAY);
    int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
    LocalDate date = LocalDate.ofEpochDay(day);
    int year = date.getYear();
    if (year < 0 || year > 9999) {
      return digits == 6 ? writeSlow(time) : time.toString();
    }
    char[] out = new char[20 + (digits == 0 ? 0 : digits + 1)];
    put(out, 0, year, 4);
    out[4] = '-';
    put(out, 5, date.getMonthValue(), 2);
    out[7] = '-';
    put(out, 8, date.getDayOfMonth(), 2);
    out[10] = 'T';
    put(out, 11, secondOfDay / 3600, 2);
    out[13] = ':';
    put(out, 14, secondOfDay / 60 % 60, 2);
    out[16] = ':';
    put(out, 17, secondOfDay % 60, 2);
    int at = 19;
    if (digits > 0) {
      out[at++] = '.';
      put(out, at, time.getNano() / POW10[9 - digits], digits);
      at += digits;
    }
    out[at] = 'Z';
    return new String(out);
  }

  // Years beyond four digits: rare enough for the general path.
  private static String writeSlow(Instant time) {
    String plain = time.toString();
    int dot = plain.indexOf('.');
    String whole = dot < 0 ? plain.substring(0, plain.length() - 1) : plain.substring(0, dot);
    return whole + String.format(".%06dZ", time.getNano() / 1_000);
  }

  private static void put(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** The instant, or null when the text is not in the one form read here. */
  private static Instant parseUtc(CharSequence s) {
    int n = s.length();
    if (n < 20
        || n > 30
        || s.charAt(n - 1) != 'Z'
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if ((year | month | day | hour | minute | second) < 0
        || month < 1
        || month > 12
        || day < 1
        || day > 31
        || hour > 23
        || minute > 59
        || second > 59) {
      return null;
    }
    int nanos = 0;
    if (n > 20) {
      int fraction = n - 21;
      if (s.charAt(19) != '.' || fraction < 1 || fraction > 9) {
        return null;
      }
      int value = digits(s, 20, fraction);
      if (value < 0) {
        return null;
      }
      nanos = value * POW10[9 - fraction];
    } else if (s.charAt(19) != 'Z') {
      return null;
    }
    if (day > 28 && day > Month.of(month).length(Year.isLeap(year))) {
      return null;
    }
    long epochDay = LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(
        epochDay * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second, nanos);
  }

  /** The decimal value of {@code count} digits at {@code at}, or -1 when one is not a digit. */
  private static int digits(CharSequence s, int at, int count) {
    int value = 0;
    for (int i = at; i < at + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
