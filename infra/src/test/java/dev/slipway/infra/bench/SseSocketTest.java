package dev.slipway.infra.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The benchmark's SSE client")
class SseSocketTest {

  @Test
  @DisplayName(
      "reads a chunked event stream line by line, also where a chunk ends inside a line or inside"
          + " a character, and sends the request's path and query")
  void chunked() throws Exception {
    byte[] body =
        "id: 1\nevent: log\ndata: {\"text\":\"grüße\"}\n\n: heartbeat\n\n".getBytes(UTF_8);
    int split = indexOf(body, (byte) 0xc3) + 1; // between the two bytes of ü
    ByteArrayOutputStream response = new ByteArrayOutputStream();
    response.write(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            .getBytes(UTF_8));
    chunk(response, body, 0, 3, ";ext=1"); // ends inside the first line
    chunk(response, body, 3, split, "");
    chunk(response, body, split, body.length, "");
    response.write("0\r\n\r\n".getBytes(UTF_8));

    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<String> request = serve(server, response.toByteArray());
      List<String> lines = new ArrayList<>();
      try (SseSocket sse =
          SseSocket.open(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/x?t=a%20b"))) {
        for (String line = sse.readLine(); line != null; line = sse.readLine()) {
          lines.add(line);
        }
      }

      assertThat(lines)
          .containsExactly(
              "id: 1", "event: log", "data: {\"text\":\"grüße\"}", "", ": heartbeat", "");
      assertThat(request.get(10, TimeUnit.SECONDS)).startsWith("GET /x?t=a%20b HTTP/1.1\r\n");
    }
  }

  @Test
  @DisplayName("fails with the status line when the answer is not 200")
  void notOk() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      serve(server, "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n".getBytes(UTF_8));

      assertThatThrownBy(
              () -> SseSocket.open(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/")))
          .hasMessageContaining("401 Unauthorized");
    }
  }

  /** Answers one connection with {@code response}; completes with the request head. */
  private static CompletableFuture<String> serve(ServerSocket server, byte[] response) {
    CompletableFuture<String> head = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (Socket socket = server.accept()) {
                StringBuilder request = new StringBuilder();
                while (!request.toString().endsWith("\r\n\r\n")) {
                  request.append((char) socket.getInputStream().read());
                }
                head.complete(request.toString());
                OutputStream out = socket.getOutputStream();
                out.write(response);
                out.flush();
              } catch (Exception e) {
                head.completeExceptionally(e);
              }
            });
    return head;
  }

  private static void chunk(
      ByteArrayOutputStream out, byte[] body, int from, int to, String extension) {
    out.writeBytes((Integer.toHexString(to - from) + extension + "\r\n").getBytes(UTF_8));
    out.write(body, from, to - from);
    out.writeBytes("\r\n".getBytes(UTF_8));
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    throw new IllegalArgumentException("not found");
  }
}
