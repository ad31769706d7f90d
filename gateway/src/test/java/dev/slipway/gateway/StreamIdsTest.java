package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StreamIdsTest {

  @Test
  @DisplayName("stream ids compare as Redis orders them: milliseconds, then sequence, as numbers")
  void order() {
    assertThat(StreamIds.compare("10-2", "9-99")).isPositive();
    assertThat(StreamIds.compare("10-10", "10-9")).isPositive();
    assertThat(StreamIds.compare("10-1", "10-1")).isZero();
    assertThat(StreamIds.compare("10", "10-999"))
        .as("a bare time covers its millisecond")
        .isPositive();
  }

  @Test
  @DisplayName("reading from next(id) reads strictly after id")
  void next() {
    assertThat(StreamIds.next("1700000000000-0")).isEqualTo("1700000000000-1");
    assertThat(StreamIds.next("1700000000000-41")).isEqualTo("1700000000000-42");
    assertThat(StreamIds.next("1700000000000")).isEqualTo("1700000000001-0");
    assertThat(StreamIds.compare(StreamIds.next("5-5"), "5-5")).isPositive();
  }

  @Test
  @DisplayName("reading from next(previous(id)) reads id itself again, across milliseconds too")
  void previous() {
    assertThat(StreamIds.previous("1700000000000-42")).isEqualTo("1700000000000-41");
    assertThat(StreamIds.previous("1700000000000-0"))
        .isEqualTo("1699999999999-18446744073709551615");
    assertThat(StreamIds.previous("0-0")).isEqualTo("0-0");
    for (String id : new String[] {"5-0", "5-1", "5-9", "1700000000000-0", "0-1"}) {
      assertThat(StreamIds.next(StreamIds.previous(id))).as(id).isEqualTo(id);
      assertThat(StreamIds.compare(StreamIds.previous(id), id)).as(id).isNegative();
    }
  }
}
