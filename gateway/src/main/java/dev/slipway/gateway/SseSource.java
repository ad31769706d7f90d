package dev.slipway.gateway;

import dev.slipway.infra.redis.RedisReplies.Entry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * What one SSE client streams: a Redis stream (its entry ids are the SSE event ids), what the
 * client gets before the stream (a snapshot, a reset), and how entries look as events. {@link
 * SseClient} does the rest: the shared live reader, the replay, backpressure and heartbeats.
 */
interface SseSource {

  /** The Redis stream followed. */
  String key();

  /** Names the stream in the opening comment and in logs, e.g. {@code buildId=b-1}. */
  String label();

  /**
   * Runs once the client follows the stream live, before the replay: may send events of its own
   * ({@link SseClient#event}) and answers the entry id the replay starts after, or {@code null} to
   * replay the stream from its start.
   *
   * @param lastEventId the client's {@code Last-Event-ID}, or {@code null}
   */
  Future<String> begin(SseClient client, String lastEventId);

  /**
   * Sends the entry to the client as its events ({@link SseClient#event}): none when the client
   * does not get it (its id still counts as seen, so a resume starts after it), one, or several (a
   * build log entry holds many lines). Answers whether the stream ends after this entry.
   */
  boolean send(Entry entry, SseClient client);

  /** One event. */
  record SseEvent(String name, JsonObject data) {}
}
