package dev.slipway.infra.events;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A CloudEvents 1.0 event as Slipway sends it: the context attributes and the typed data.
 *
 * @param id unique per event; consumers deduplicate on it
 * @param source the URI reference of the producer, e.g. {@code /slipway/builder}
 * @param subject the build id, app name or container id the event is about
 * @param time when it happened
 * @param data the event record; its {@link SlipwayEvent#type()} is the CloudEvents type
 */
public record CloudEvent<T extends SlipwayEvent>(
    String id, String source, String subject, Instant time, T data) {

  public CloudEvent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(data, "data");
  }

  /** A new event with a random id, stamped now. */
  public static <T extends SlipwayEvent> CloudEvent<T> of(String source, String subject, T data) {
    return new CloudEvent<>(UUID.randomUUID().toString(), source, subject, Instant.now(), data);
  }

  public String type() {
    return data.type();
  }

  /** The {@code dataschema} attribute: where the JSON Schema of this event's data lives. */
  public String dataschema() {
    return Schemas.uriOf(data.getClass());
  }
}
