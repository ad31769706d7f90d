package dev.slipway.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Headers a reverse proxy passes on")
class ProxyHeadersTest {

  @Test
  @DisplayName("hop-by-hop headers and those named in Connection stay behind; the rest pass")
  void hopByHop() {
    MultiMap in =
        MultiMap.caseInsensitiveMultiMap()
            .add("Host", "shop.localhost")
            .add("Connection", "keep-alive, X-Secret")
            .add("Keep-Alive", "timeout=5")
            .add("Transfer-Encoding", "chunked")
            .add("TE", "trailers")
            .add("Upgrade", "h2c")
            .add("Proxy-Authorization", "Basic eA==")
            .add("X-Secret", "hop")
            .add("Accept", "text/html")
            .add("Cookie", "a=1")
            .add("Cookie", "b=2");
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    ProxyHeaders.copyRequest(in, out, false);
    assertThat(out.names()).containsExactlyInAnyOrder("Accept", "Cookie");
    assertThat(out.getAll("Cookie")).containsExactly("a=1", "b=2");
  }

  @Test
  @DisplayName("a WebSocket upgrade keeps Upgrade and Connection: Upgrade")
  void upgrade() {
    MultiMap in =
        MultiMap.caseInsensitiveMultiMap()
            .add("Connection", "Upgrade")
            .add("Upgrade", "websocket")
            .add("Sec-WebSocket-Key", "k");
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    ProxyHeaders.copyRequest(in, out, true);
    assertThat(out.get("Upgrade")).isEqualTo("websocket");
    assertThat(out.get("Connection")).isEqualTo("Upgrade");
    assertThat(out.get("Sec-WebSocket-Key")).isEqualTo("k");
  }

  @Test
  @DisplayName("X-Forwarded-For is appended to; proto, host and prefix are the edge's own view")
  void forwarded() {
    MultiMap out =
        MultiMap.caseInsensitiveMultiMap()
            .add("X-Forwarded-For", "203.0.113.9")
            .add("X-Forwarded-Host", "spoofed")
            .add("X-Forwarded-Prefix", "/spoofed");
    ProxyHeaders.forwarded(out, "127.0.0.1", "http", "shop.localhost:8000", null);
    assertThat(out.get("X-Forwarded-For")).isEqualTo("203.0.113.9, 127.0.0.1");
    assertThat(out.get("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(out.get("X-Forwarded-Host")).isEqualTo("shop.localhost:8000");
    assertThat(out.contains("X-Forwarded-Prefix")).isFalse();

    MultiMap prefixed = MultiMap.caseInsensitiveMultiMap();
    ProxyHeaders.forwarded(prefixed, "10.0.0.2", "http", "127.0.0.1:8000", "/apps/shop");
    assertThat(prefixed.get("X-Forwarded-For")).isEqualTo("10.0.0.2");
    assertThat(prefixed.get("X-Forwarded-Prefix")).isEqualTo("/apps/shop");
  }
}
