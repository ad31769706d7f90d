package dev.slipway.infra.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** TCP ports the OS reports free on the loopback interface, for listeners started next. */
public final class LoopbackPorts {

  private LoopbackPorts() {}

  /** One port that was free a moment ago. */
  public static int free() throws IOException {
    return free(1)[0];
  }

  /**
   * {@code count} distinct ports that were free a moment ago. Every socket stays open until all are
   * chosen: closed one by one, the OS may hand out the same port again, and two listeners that were
   * meant to differ (an API and an edge port, say) then collide.
   */
  public static int[] free(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>(count);
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }
}
