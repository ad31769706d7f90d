package dev.slipway.infra.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A topic as a stock Kafka consumer outside the JVM reads it: Debian's {@code kcat} (librdkafka),
 * from the beginning of every partition to its end.
 */
public final class Kcat {

  /**
   * One record as kcat printed it.
   *
   * @param headers in the record's order; kcat prints them as {@code name=value,...}, so values
   *     must not contain a comma (Slipway's CloudEvents attributes do not)
   * @param value the record's value as text
   */
  public record Record(
      int partition, long offset, String key, Map<String, String> headers, String value) {}

  // Tab-separated: JSON escapes tabs and newlines, so neither can occur inside a field.
  private static final String FORMAT = "%p\\t%o\\t%k\\t%h\\t%s\\n";

  private Kcat() {}

  /** Every record of {@code topic}, partition by partition, each in offset order. */
  public static List<Record> read(String bootstrapServers, String topic) {
    Path kcat =
        FixtureSupport.executable(
            "kcat", "kcat not found: run `infra/slipway setup` (installs Debian's kcat)");
    Process process;
    try {
      process =
          new ProcessBuilder(
                  kcat.toString(),
                  "-b",
                  bootstrapServers,
                  "-C",
                  "-t",
                  topic,
                  "-o",
                  "beginning",
                  "-e",
                  "-q",
                  "-f",
                  FORMAT)
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + kcat, e);
    }
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> text(process, false));
    CompletableFuture<String> errors = CompletableFuture.supplyAsync(() -> text(process, true));
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "kcat did not reach the end of " + topic + " in 60 s (is the broker up?)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while kcat read " + topic, e);
    } finally {
      FixtureSupport.stop(process, Duration.ofSeconds(5));
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          "kcat exited with " + process.exitValue() + " reading " + topic + ": " + errors.join());
    }
    List<Record> records = new ArrayList<>();
    for (String line : out.join().split("\n")) {
      if (!line.isEmpty()) {
        records.add(parse(line));
      }
    }
    return records;
  }

  private static Record parse(String line) {
    String[] fields = line.split("\t", 5);
    if (fields.length != 5) {
      throw new IllegalStateException("unexpected kcat output: " + line);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String header : fields[3].split(",")) {
      int eq = header.indexOf('=');
      if (eq > 0) {
        headers.put(header.substring(0, eq), header.substring(eq + 1));
      }
    }
    return new Record(
        Integer.parseInt(fields[0]), Long.parseLong(fields[1]), fields[2], headers, fields[4]);
  }

  private static String text(Process process, boolean errors) {
    try (InputStream in = errors ? process.getErrorStream() : process.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
