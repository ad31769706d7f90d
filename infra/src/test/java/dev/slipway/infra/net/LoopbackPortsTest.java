package dev.slipway.infra.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Free loopback ports")
class LoopbackPortsTest {

  @Test
  @DisplayName("ports asked for together are distinct, and each can be listened on")
  void distinctAndBindable() throws Exception {
    int[] ports = LoopbackPorts.free(200);

    assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(200);
    for (int port : ports) {
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(socket.getLocalPort()).isEqualTo(port);
      }
    }
  }
}
