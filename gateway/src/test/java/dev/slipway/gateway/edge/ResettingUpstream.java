package dev.slipway.gateway.edge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;

/**
 * A raw upstream on 127.0.0.1 that decides per connection, after it read the request head, either
 * to reset the connection (what a client sees when the container behind a published port goes away
 * mid-request) or to answer 200 with a body and close. Vert.x cannot send a reset; a plain socket
 * closed with a zero linger does.
 */
final class ResettingUpstream implements AutoCloseable {

  /** {@code null}: reset the connection; otherwise the body of a 200. */
  interface Behaviour extends IntFunction<String> {}

  private final ServerSocket server;
  private final Thread acceptor;

  /** Request lines received, one per connection, in order. */
  final List<String> requests = new CopyOnWriteArrayList<>();

  ResettingUpstream(Behaviour behaviour) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor =
        Thread.ofVirtual()
            .start(
                () -> {
                  int n = 0;
                  while (!server.isClosed()) {
                    try {
                      Socket socket = server.accept();
                      int index = n++;
                      Thread.ofVirtual().start(() -> serve(socket, index, behaviour));
                    } catch (IOException closed) {
                      return;
                    }
                  }
                });
  }

  Upstream upstream() {
    return new Upstream("127.0.0.1", server.getLocalPort());
  }

  private void serve(Socket socket, int index, Behaviour behaviour) {
    try (socket) {
      String head = readHead(socket.getInputStream());
      requests.add(head.lines().findFirst().orElse(""));
      String body = behaviour.apply(index);
      if (body == null) {
        socket.setSoLinger(true, 0);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("HTTP/1.1 200 OK\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      // the client went away; nothing to answer
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    int b;
    while (matched < 4 && (b = in.read()) >= 0) {
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws Exception {
    server.close();
    acceptor.join(5_000);
  }
}
