package dev.slipway.infra.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.slipway.infra.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("A Redis client from RedisClients")
class RedisRoundTripIT {

  private Redis redis;
  private String prefix;
  private final List<String> keys = new ArrayList<>();

  @BeforeEach
  void connect(Vertx vertx) {
    redis = RedisClients.create(vertx, RedisServer.url());
    prefix = RedisServer.randomKeyPrefix();
  }

  @AfterEach
  void deleteKeys() throws Exception {
    if (!keys.isEmpty()) {
      Request del = Request.cmd(Command.DEL);
      keys.forEach(del::arg);
      assertEquals(keys.size(), send(del).toInteger(), "every key the test wrote is deleted");
      Request exists = Request.cmd(Command.EXISTS);
      keys.forEach(exists::arg);
      assertEquals(0, send(exists).toInteger());
    }
    await(redis.close());
  }

  @Test
  @DisplayName("a value SET under a random prefix is read back by GET")
  void setGet() throws Exception {
    String key = key("greeting");
    send(Request.cmd(Command.SET).arg(key).arg("hello slipway"));

    assertEquals("hello slipway", send(Request.cmd(Command.GET).arg(key)).toString());
  }

  @Test
  @DisplayName("fields written with HSET come back from HGETALL")
  void hashRoundTrip() throws Exception {
    String key = key("app:web");
    Response added =
        send(
            Request.cmd(Command.HSET)
                .arg(key)
                .arg("state")
                .arg("running")
                .arg("image")
                .arg("web:v1"));
    assertEquals(2, added.toInteger());

    Response all = send(Request.cmd(Command.HGETALL).arg(key));
    Map<String, String> fields = new HashMap<>();
    for (String field : all.getKeys()) {
      fields.put(field, all.get(field).toString());
    }
    assertEquals(Map.of("state", "running", "image", "web:v1"), fields);
  }

  @Test
  @DisplayName("entries appended with XADD come back from XRANGE in order")
  void streamRoundTrip() throws Exception {
    String key = key("build:logs");
    String first =
        send(Request.cmd(Command.XADD).arg(key).arg("*").arg("line").arg("one")).toString();
    String second =
        send(Request.cmd(Command.XADD).arg(key).arg("*").arg("line").arg("two")).toString();

    Response range = send(Request.cmd(Command.XRANGE).arg(key).arg("-").arg("+"));
    assertEquals(2, range.size());
    assertEquals(first, range.get(0).get(0).toString());
    assertEquals(List.of("line", "one"), strings(range.get(0).get(1)));
    assertEquals(second, range.get(1).get(0).toString());
    assertEquals(List.of("line", "two"), strings(range.get(1).get(1)));
  }

  private String key(String name) {
    String key = prefix + name;
    keys.add(key);
    return key;
  }

  private Response send(Request request) throws Exception {
    return await(redis.send(request));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<String> strings(Response array) {
    List<String> values = new ArrayList<>();
    for (Response item : array) {
      values.add(item.toString());
    }
    return values;
  }
}
