package dev.slipway.gateway;

import java.time.Duration;

/**
 * Tuning of the gateway's streams and timeouts; {@link #defaults()} is what production runs.
 *
 * @param heartbeat how often an idle SSE stream gets a comment line, so proxies keep it open
 * @param slowClientTimeout how long an SSE client may leave its write queue full before it is
 *     disconnected (it can resume with Last-Event-ID)
 * @param maxLogFollowers how many Redis streams (build logs, the change feed) are followed at once
 *     (one blocking Redis connection each, shared by every SSE client of that stream)
 * @param maxSseClients how many SSE clients are served at once
 * @param redisTimeout the limit on each Redis command
 * @param publishTimeout the limit on a Kafka publish (acks from all in-sync replicas)
 */
public record GatewayOptions(
    Duration heartbeat,
    Duration slowClientTimeout,
    int maxLogFollowers,
    int maxSseClients,
    Duration redisTimeout,
    Duration publishTimeout) {

  public static GatewayOptions defaults() {
    return new GatewayOptions(
        Duration.ofSeconds(15),
        Duration.ofSeconds(10),
        64,
        1024,
        Duration.ofSeconds(5),
        Duration.ofSeconds(30));
  }

  public GatewayOptions withHeartbeat(Duration value) {
    return new GatewayOptions(
        value, slowClientTimeout, maxLogFollowers, maxSseClients, redisTimeout, publishTimeout);
  }

  public GatewayOptions withSlowClientTimeout(Duration value) {
    return new GatewayOptions(
        heartbeat, value, maxLogFollowers, maxSseClients, redisTimeout, publishTimeout);
  }
}
