package dev.slipway.builder;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Hosts a repository URL must not point at: exact host names and CIDR ranges that the URL's host
 * must not resolve into (cloud metadata endpoints, link-local addresses). Loopback is not denied by
 * default, so a git server on the builder's own host works.
 */
final class HostDenyList {

  private record Range(String text, byte[] network, int bits) {
    boolean contains(InetAddress address) {
      byte[] bytes = address.getAddress();
      if (bytes.length != network.length) {
        return false;
      }
      BigInteger mask =
          bits == 0
              ? BigInteger.ZERO
              : BigInteger.ONE
                  .shiftLeft(bits)
                  .subtract(BigInteger.ONE)
                  .shiftLeft(bytes.length * 8 - bits);
      return new BigInteger(1, bytes).and(mask).equals(new BigInteger(1, network).and(mask));
    }
  }

  private final List<String> names;
  private final List<Range> ranges;

  private HostDenyList(List<String> names, List<Range> ranges) {
    this.names = List.copyOf(names);
    this.ranges = List.copyOf(ranges);
  }

  /**
   * Entries are host names ({@code metadata.google.internal}), addresses ({@code 10.0.0.1}) or CIDR
   * ranges ({@code 169.254.0.0/16}, {@code fe80::/10}).
   *
   * @throws IllegalArgumentException naming the first entry that is none of these
   */
  static HostDenyList parse(List<String> entries) {
    List<String> names = new ArrayList<>();
    List<Range> ranges = new ArrayList<>();
    for (String raw : entries) {
      String entry = raw.trim().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        continue;
      }
      int slash = entry.indexOf('/');
      String host = slash < 0 ? entry : entry.substring(0, slash);
      if (isAddressLiteral(host)) {
        byte[] network = literal(host).getAddress();
        int bits = network.length * 8;
        if (slash >= 0) {
          try {
            bits = Integer.parseInt(entry.substring(slash + 1));
          } catch (NumberFormatException e) {
            bits = -1;
          }
          if (bits < 0 || bits > network.length * 8) {
            throw new IllegalArgumentException("'" + raw + "' has a bad prefix length");
          }
        }
        ranges.add(new Range(entry, network, bits));
      } else if (slash < 0 && host.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9-]+)*\\.?")) {
        names.add(host.endsWith(".") ? host.substring(0, host.length() - 1) : host);
      } else {
        throw new IllegalArgumentException(
            "'" + raw + "' is not a host name, an address or a CIDR range");
      }
    }
    return new HostDenyList(names, ranges);
  }

  /** The entry that denies {@code host} by name, if any. */
  Optional<String> deniedName(String host) {
    String normalized = host.toLowerCase(Locale.ROOT);
    if (normalized.endsWith(".")) {
      normalized = normalized.substring(0, normalized.length() - 1);
    }
    String name = normalized;
    return names.stream().filter(name::equals).findFirst();
  }

  /** The range that contains {@code address}, if any; IPv4-mapped IPv6 counts as IPv4. */
  Optional<String> deniedAddress(InetAddress address) {
    InetAddress effective = unmapped(address);
    return ranges.stream().filter(r -> r.contains(effective)).map(Range::text).findFirst();
  }

  private static InetAddress unmapped(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (bytes.length == 16) {
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= bytes[i] == 0;
      }
      mapped &= bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
      if (mapped) {
        try {
          return InetAddress.getByAddress(new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]});
        } catch (UnknownHostException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return address;
  }

  /** Whether {@code host} is an IPv4 or IPv6 literal; decided without any lookup. */
  static boolean isAddressLiteral(String host) {
    if (host.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      for (String octet : host.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return false;
        }
      }
      return true;
    }
    // With a colon, InetAddress parses a literal and never asks DNS.
    return host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
  }

  /** Parses an address literal without any name lookup. */
  static InetAddress literal(String host) {
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + host + "' is not an address", e);
    }
  }
}
