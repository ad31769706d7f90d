package dev.slipway.infra.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.util.Locale;

/**
 * An SSE client on a plain socket: one HTTP/1.1 GET, the response body read line by line on the
 * caller's thread.
 *
 * <p>Why not {@link java.net.http.HttpClient}: its streaming body goes from its selector thread
 * through its executor to the reading thread, two hand-offs and their CPU for every chunk, taken
 * from the 2 cores the platform being measured runs on. A browser's EventSource reads as directly
 * as this does.
 */
final class SseSocket implements AutoCloseable {

  private final Socket socket;
  private final BufferedReader reader;

  private SseSocket(Socket socket, BufferedReader reader) {
    this.socket = socket;
    this.reader = reader;
  }

  /** Connects, sends the request and reads the response head; fails unless the answer is 200. */
  static SseSocket open(URI uri) throws IOException {
    Socket socket = new Socket(uri.getHost(), uri.getPort());
    try {
      socket.setSoTimeout(60_000);
      String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + target
                  + " HTTP/1.1\r\nHost: "
                  + uri.getHost()
                  + ":"
                  + uri.getPort()
                  + "\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n")
              .getBytes(US_ASCII));
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
      String status = headLine(in);
      if (!status.startsWith("HTTP/1.1 200 ")) {
        throw new IllegalStateException("SSE answered " + status);
      }
      boolean chunked = false;
      for (String header = headLine(in); !header.isEmpty(); header = headLine(in)) {
        String lower = header.toLowerCase(Locale.ROOT);
        chunked |= lower.startsWith("transfer-encoding:") && lower.contains("chunked");
      }
      InputStream body = chunked ? new Chunked(in) : in;
      return new SseSocket(
          socket, new BufferedReader(new InputStreamReader(body, UTF_8), 64 * 1024));
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** The next line of the event stream, or null at its end. */
  String readLine() throws IOException {
    return reader.readLine();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** A line of the response head or of the chunk framing, without its CRLF. */
  private static String headLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the connection closed inside the response framing");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  /** A chunked body: a hex size line before each chunk, CRLF after it, a zero size at the end. */
  private static final class Chunked extends InputStream {

    private final InputStream in;
    private int left;
    private boolean first = true;
    private boolean done;

    Chunked(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (!nextChunk()) {
        return -1;
      }
      int n = in.read(buffer, offset, Math.min(length, left));
      if (n < 0) {
        throw new EOFException("the connection closed inside a chunk");
      }
      left -= n;
      return n;
    }

    /** Whether body bytes remain, reading the next chunk's size when the last one is used up. */
    private boolean nextChunk() throws IOException {
      if (done) {
        return false;
      }
      if (left > 0) {
        return true;
      }
      if (!first) {
        headLine(in); // the CRLF that ends the previous chunk
      }
      first = false;
      String size = headLine(in);
      int extensions = size.indexOf(';');
      left = Integer.parseInt((extensions < 0 ? size : size.substring(0, extensions)).trim(), 16);
      done = left == 0;
      return !done;
    }
  }
}
