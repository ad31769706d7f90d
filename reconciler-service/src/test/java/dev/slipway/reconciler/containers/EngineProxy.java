package dev.slipway.reconciler.containers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy in front of the Docker engine that a test can take down and bring back, as
 * an engine restart or a socket error would, without disturbing the real engine.
 */
final class EngineProxy implements AutoCloseable {

  private final SocketAddress engine;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private volatile ServerSocketChannel server;
  private int port;

  /**
   * @param engineHost {@code unix:///path} or {@code tcp://host:port}
   */
  EngineProxy(String engineHost) {
    URI uri = URI.create(engineHost);
    this.engine =
        "unix".equals(uri.getScheme())
            ? UnixDomainSocketAddress.of(uri.getPath())
            : new InetSocketAddress(uri.getHost(), uri.getPort());
  }

  /** {@code tcp://127.0.0.1:<port>}, the same across {@link #down()} and {@link #up()}. */
  String host() {
    return "tcp://127.0.0.1:" + port;
  }

  /** Accepts connections again (on the same port after the first time). */
  synchronized EngineProxy up() throws IOException {
    ServerSocketChannel channel = ServerSocketChannel.open();
    channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    port = ((InetSocketAddress) channel.getLocalAddress()).getPort();
    server = channel;
    Thread.ofVirtual().name("engine-proxy-accept").start(() -> accept(channel));
    return this;
  }

  /** Refuses new connections and cuts the open ones. */
  synchronized void down() throws IOException {
    if (server != null) {
      server.close();
      server = null;
    }
    for (SocketChannel channel : open) {
      closeQuietly(channel);
    }
    open.clear();
  }

  private void accept(ServerSocketChannel channel) {
    while (channel.isOpen()) {
      try {
        SocketChannel client = channel.accept();
        SocketChannel upstream = SocketChannel.open(engine);
        open.add(client);
        open.add(upstream);
        Thread.ofVirtual().start(() -> pump(client, upstream));
        Thread.ofVirtual().start(() -> pump(upstream, client));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    try {
      while (from.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          to.write(buffer);
        }
        buffer.clear();
      }
    } catch (IOException cut) {
      // One side closed: close both below.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      open.remove(from);
      open.remove(to);
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  @Override
  public void close() throws IOException {
    down();
  }
}
