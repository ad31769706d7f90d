package dev.slipway.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Counting requests in flight per upstream")
class InFlightTest {

  private final Upstream a = new Upstream("127.0.0.1", 1001);
  private final Upstream b = new Upstream("127.0.0.1", 1002);

  @Test
  @DisplayName("counts go up per request and down once per lease, however often it is released")
  void counts() {
    InFlight inFlight = new InFlight();
    InFlight.Lease first = inFlight.acquire(a);
    InFlight.Lease second = inFlight.acquire(a);
    inFlight.acquire(b);
    assertThat(inFlight.snapshot()).isEqualTo(Map.of(a, 2, b, 1));

    first.release();
    first.release();
    assertThat(inFlight.count(a)).isEqualTo(1);
    second.release();
    assertThat(inFlight.count(a)).isZero();
    assertThat(inFlight.snapshot()).isEqualTo(Map.of(b, 1));
  }

  @Test
  @DisplayName("listeners hear each time an upstream's count drops to zero")
  void idle() {
    InFlight inFlight = new InFlight();
    List<Upstream> idle = new ArrayList<>();
    inFlight.onIdle(idle::add);
    InFlight.Lease one = inFlight.acquire(a);
    InFlight.Lease two = inFlight.acquire(a);
    one.release();
    assertThat(idle).isEmpty();
    two.release();
    assertThat(idle).containsExactly(a);
    inFlight.acquire(a).release();
    assertThat(idle).containsExactly(a, a);
  }
}
