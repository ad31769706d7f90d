package dev.slipway.infra.testing;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The keys a test or benchmark put under its own prefix: listed with SCAN, deleted at once. */
public final class RedisPrefix {

  private RedisPrefix() {}

  /** Every key under {@code prefix} (e.g. {@code test-ab12cd34:}). */
  public static List<String> keys(Redis redis, String prefix) throws Exception {
    List<String> found = new ArrayList<>();
    String cursor = "0";
    do {
      Response page =
          redis
              .send(
                  Request.cmd(Command.SCAN)
                      .arg(cursor)
                      .arg("MATCH")
                      .arg(prefix + "*")
                      .arg("COUNT")
                      .arg(1000))
              .await(10, TimeUnit.SECONDS);
      cursor = page.get(0).toString();
      page.get(1).forEach(k -> found.add(k.toString()));
    } while (!cursor.equals("0"));
    return found;
  }

  /** Deletes every key under {@code prefix} in one command; returns how many there were. */
  public static int delete(Redis redis, String prefix) throws Exception {
    List<String> found = keys(redis, prefix);
    if (!found.isEmpty()) {
      Request del = Request.cmd(Command.DEL);
      found.forEach(del::arg);
      redis.send(del).await(10, TimeUnit.SECONDS);
    }
    return found.size();
  }
}
