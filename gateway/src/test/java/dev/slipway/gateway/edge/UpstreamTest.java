package dev.slipway.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Upstreams as routes name them")
class UpstreamTest {

  @Test
  @DisplayName("host:port parses and prints back the same, IPv6 in brackets")
  void roundTrip() {
    assertThat(Upstream.parse("127.0.0.1:32768")).contains(new Upstream("127.0.0.1", 32768));
    assertThat(Upstream.parse("slipway-shop-3-blue:8080").orElseThrow().toString())
        .isEqualTo("slipway-shop-3-blue:8080");
    assertThat(Upstream.parse("[::1]:80").orElseThrow().host()).isEqualTo("::1");
    assertThat(Upstream.parse("[::1]:80").orElseThrow().toString()).isEqualTo("[::1]:80");
  }

  @Test
  @DisplayName("anything else is rejected rather than guessed at")
  void malformed() {
    for (String bad :
        new String[] {"", "127.0.0.1", ":80", "host:0", "host:70000", "http://h:1", "h :1"}) {
      assertThat(Upstream.parse(bad)).as(bad).isEmpty();
    }
    assertThat(Upstream.parse(null)).isEmpty();
  }
}
