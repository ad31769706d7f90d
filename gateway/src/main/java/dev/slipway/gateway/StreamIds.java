package dev.slipway.gateway;

/** Redis stream ids ({@code <ms>-<seq>}), which are the SSE event ids of a build's log. */
final class StreamIds {

  private StreamIds() {}

  /** Compares two ids numerically, as Redis orders them; a bare {@code <ms>} is after its seqs. */
  static int compare(String a, String b) {
    long[] x = parse(a);
    long[] y = parse(b);
    int c = Long.compareUnsigned(x[0], y[0]);
    return c != 0 ? c : Long.compareUnsigned(x[1], y[1]);
  }

  /** The smallest id after {@code id}: XRANGE from here reads strictly after it. */
  static String next(String id) {
    long[] x = parse(id);
    if (x[1] == -1L) {
      return Long.toUnsignedString(x[0] + 1) + "-0";
    }
    return Long.toUnsignedString(x[0]) + "-" + Long.toUnsignedString(x[1] + 1);
  }

  /**
   * The largest id before {@code id} (a full {@code <ms>-<seq>}): XRANGE from {@link #next} of it
   * reads {@code id} itself again.
   */
  static String previous(String id) {
    long[] x = parse(id);
    if (x[1] == -1L) {
      // "<ms>-<max>" (or a bare "<ms>", which stands for it): one less.
      return Long.toUnsignedString(x[0]) + "-" + Long.toUnsignedString(-2L);
    }
    if (x[1] != 0) {
      return Long.toUnsignedString(x[0]) + "-" + Long.toUnsignedString(x[1] - 1);
    }
    if (x[0] == 0) {
      return "0-0";
    }
    // "<ms-1>-<max>" is the last id of the millisecond before: next() of it is "<ms>-0".
    return Long.toUnsignedString(x[0] - 1) + "-" + Long.toUnsignedString(-1L);
  }

  private static long[] parse(String id) {
    int dash = id.indexOf('-');
    if (dash < 0) {
      // A bare "<ms>" means every entry of that millisecond: after it is the next millisecond.
      return new long[] {Long.parseUnsignedLong(id), -1L};
    }
    return new long[] {
      Long.parseUnsignedLong(id.substring(0, dash)), Long.parseUnsignedLong(id.substring(dash + 1))
    };
  }
}
