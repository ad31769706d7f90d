package dev.slipway.gateway;

import static dev.slipway.gateway.GatewayFixture.DEADLINE;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real HTTP client reading an event stream on its own thread, parsing it as EventSource does:
 * events with their id, name and JSON data, comments, and the last event id (which an id-only block
 * moves too).
 */
final class SseReader implements AutoCloseable {

  record Event(String id, String name, JsonObject data) {}

  final List<Event> events = new CopyOnWriteArrayList<>();
  final AtomicInteger comments = new AtomicInteger();
  final AtomicBoolean ended = new AtomicBoolean();
  final AtomicBoolean broken = new AtomicBoolean();
  final int status;
  final HttpHeaders headers;
  final String errorBody;
  volatile String lastEventId;
  private final Stream<String> lines;

  SseReader(GatewayFixture gw, String path, String token, String... headers) throws Exception {
    HttpRequest.Builder b = gw.request(path, token).header("Accept", "text/event-stream");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<Stream<String>> response =
        gw.http.send(b.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofLines());
    status = response.statusCode();
    this.headers = response.headers();
    lines = response.body();
    if (status != 200) {
      errorBody = String.join("\n", lines.toList());
      return;
    }
    errorBody = null;
    CompletableFuture.runAsync(this::read);
  }

  private void read() {
    String id = null;
    String name = null;
    StringBuilder data = new StringBuilder();
    try {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.isEmpty()) {
          if (id != null) {
            lastEventId = id;
          }
          if (data.length() > 0) {
            events.add(new Event(id, name, new JsonObject(data.toString())));
          }
          id = null;
          name = null;
          data.setLength(0);
        } else if (line.startsWith(":")) {
          comments.incrementAndGet();
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
      ended.set(true);
    } catch (RuntimeException closed) {
      // close() cancelled the stream, or the server cut it: not a normal end.
      broken.set(true);
    }
  }

  List<Event> awaitEvents(int count) {
    await().atMost(DEADLINE).until(() -> events.size() >= count);
    return List.copyOf(events);
  }

  void awaitEnd() {
    await().atMost(DEADLINE).untilTrue(ended);
  }

  @Override
  public void close() {
    lines.close();
  }

  /** Reads a stream to its end (or reset) without parsing it; returns the bytes read. */
  static long drain(java.io.InputStream in) throws java.io.IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int n;
    try {
      while ((n = in.read(buffer)) >= 0) {
        total += n;
      }
    } catch (java.net.SocketException reset) {
      // A reset is a disconnect too.
    }
    return total;
  }
}
