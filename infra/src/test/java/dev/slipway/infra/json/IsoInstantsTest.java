package dev.slipway.infra.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("ISO-8601 instants without DateTimeFormatter")
class IsoInstantsTest {

  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  /** Every nanosecond precision, before and after 1970, leap days, the ends of the range. */
  private static List<Instant> samples() {
    List<Instant> out = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(42);
    long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    for (int i = 0; i < 20_000; i++) {
      long seconds = random.nextLong(min, max + 1);
      int nanos =
          switch (i % 5) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
          };
      out.add(Instant.ofEpochSecond(seconds, nanos));
    }
    out.add(Instant.EPOCH);
    out.add(Instant.parse("2024-02-29T23:59:59.999999999Z"));
    out.add(Instant.parse("1969-12-31T23:59:59.000001Z"));
    out.add(Instant.parse("0000-01-01T00:00:00Z"));
    out.add(Instant.parse("9999-12-31T23:59:59.999Z"));
    return out;
  }

  @Test
  void writesWhatInstantToStringWritesAndReadsItBack() {
    for (Instant t : samples()) {
      assertEquals(t.toString(), IsoInstants.format(t));
      assertEquals(t, IsoInstants.parse(t.toString()));
    }
  }

  @Test
  void writesSixFractionDigitsAsTheFormatterDid() {
    for (Instant t : samples()) {
      String micros = IsoInstants.formatMicros(t);
      assertEquals(MICROS.format(t.truncatedTo(ChronoUnit.MICROS)), micros);
      assertEquals(t.truncatedTo(ChronoUnit.MICROS), IsoInstants.parse(micros));
    }
  }

  @Test
  void yearsBeyondFourDigitsTakeTheGeneralPath() {
    Instant far = Instant.parse("+12345-06-07T08:09:10.5Z");
    assertEquals(far.toString(), IsoInstants.format(far));
    assertEquals(far, IsoInstants.parse(far.toString()));
    assertEquals("+12345-06-07T08:09:10.500000Z", IsoInstants.formatMicros(far));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2025-03-01T12:00:05+01:00",
        "2025-03-01T12:00:05.1234-02:30",
        "2025-03-01T12:00:05.000000000Z",
        "2025-03-01T12:00Z",
        "2025-01-01T24:00:00Z",
        "2025-01-01T00:00:00.Z"
      })
  void otherIsoFormsReadAsInstantParseReadsThem(String text) {
    Instant expected;
    try {
      expected = Instant.parse(text);
    } catch (DateTimeParseException e) {
      assertThrows(DateTimeParseException.class, () -> IsoInstants.parse(text));
      return;
    }
    assertEquals(expected, IsoInstants.parse(text));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2025-02-30T00:00:00Z",
        "2025-13-01T00:00:00Z",
        "2025-01-01T00:60:00Z",
        "2025-01-01T00:00:00.1234567890Z",
        "2025-01-0aT00:00:00Z",
        "2025-01-01 00:00:00Z",
        "yesterday"
      })
  void rejectsWhatInstantParseRejects(String text) {
    assertThrows(DateTimeParseException.class, () -> Instant.parse(text));
    assertThrows(DateTimeParseException.class, () -> IsoInstants.parse(text));
  }

  record Stamped(Instant at) {}

  @Test
  void theSharedMapperWritesInstantsAsJavaTimeModuleDoes() throws Exception {
    ObjectMapper plain =
        new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    for (Instant t : samples().subList(0, 2_000)) {
      Stamped value = new Stamped(t);
      String ours = Json.toString(value);
      assertEquals(plain.writeValueAsString(value), ours);
      assertEquals(value, Json.mapper().readValue(ours, Stamped.class));
    }
    assertEquals(
        new Stamped(Instant.ofEpochSecond(1_700_000_000L, 250_000_000)),
        Json.mapper().readValue("{\"at\":1700000000.25}", Stamped.class));
    assertEquals(
        new Stamped(Instant.parse("2025-03-01T11:00:05Z")),
        Json.mapper().readValue("{\"at\":\"2025-03-01T12:00:05+01:00\"}", Stamped.class));
  }
}
