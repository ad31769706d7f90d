package dev.slipway.reconciler;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), sent whole ({@code EVAL}) only when Redis does
 * not have it cached: after a restart, a {@code SCRIPT FLUSH} or on a new server.
 */
final class LuaScript {

  private final String name;
  private final String source;
  private final String sha;

  LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  String name() {
    return name;
  }

  String source() {
    return source;
  }

  /** Runs the script; the Future fails on an error reply or when Redis does not answer in time. */
  Future<Response> run(Redis redis, List<String> keys, List<String> args, Duration timeout) {
    return redis
        .send(request(Command.EVALSHA, sha, keys, args))
        .recover(
            error ->
                isNoScript(error)
                    ? redis.send(request(Command.EVAL, source, keys, args))
                    : Future.failedFuture(error))
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Request request(
      Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  private static boolean isNoScript(Throwable error) {
    String message = error.getMessage();
    return message != null && message.startsWith("NOSCRIPT");
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }
}
