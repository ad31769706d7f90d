package dev.slipway.infra.events;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A record that is not a Slipway CloudEvent this version can read. */
public final class EventDecodingException extends RuntimeException {

  public EventDecodingException(ConsumerRecord<?, ?> record, String reason) {
    super(
        record.topic()
            + "-"
            + record.partition()
            + "@"
            + record.offset()
            + " is not a readable event: "
            + reason);
  }
}
