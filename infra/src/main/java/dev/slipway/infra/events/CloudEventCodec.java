package dev.slipway.infra.events;

import dev.slipway.infra.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * CloudEvents 1.0 Kafka protocol binding, binary content mode: the context attributes ride in
 * {@code ce_*} headers, the data is the record value as JSON, {@code content-type} names it. Any
 * stock CloudEvents SDK or {@code kcat} reads what this writes.
 */
public final class CloudEventCodec {

  public static final String SPEC_VERSION = "1.0";
  public static final String CONTENT_TYPE = "application/json";

  public static final String H_SPECVERSION = "ce_specversion";
  public static final String H_ID = "ce_id";
  public static final String H_SOURCE = "ce_source";
  public static final String H_TYPE = "ce_type";
  public static final String H_SUBJECT = "ce_subject";
  public static final String H_TIME = "ce_time";
  public static final String H_DATASCHEMA = "ce_dataschema";
  public static final String H_CONTENT_TYPE = "content-type";

  private CloudEventCodec() {}

  /** The Kafka record for an event on a topic, keyed for per-build or per-app ordering. */
  public static <T extends SlipwayEvent> ProducerRecord<String, byte[]> encode(
      Topic<? super T> topic, String key, CloudEvent<T> event) {
    if (!topic.eventClass().isInstance(event.data())) {
      throw new IllegalArgumentException(
          event.type() + " does not belong on topic " + topic.name());
    }
    Headers headers = new RecordHeaders();
    put(headers, H_SPECVERSION, SPEC_VERSION);
    put(headers, H_ID, event.id());
    put(headers, H_SOURCE, event.source());
    put(headers, H_TYPE, event.type());
    if (event.subject() != null) {
      put(headers, H_SUBJECT, event.subject());
    }
    put(headers, H_TIME, event.time().toString());
    put(headers, H_DATASCHEMA, event.dataschema());
    put(headers, H_CONTENT_TYPE, CONTENT_TYPE);
    return new ProducerRecord<>(topic.name(), null, key, Json.toBytes(event.data()), headers);
  }

  /** A tombstone: deletes {@code key} from a compacted topic. */
  public static ProducerRecord<String, byte[]> tombstone(Topic<?> topic, String key) {
    if (!topic.compacted()) {
      throw new IllegalArgumentException(topic.name() + " is not compacted");
    }
    return new ProducerRecord<>(topic.name(), key, null);
  }

  /**
   * The event a record carries.
   *
   * @return the event, or {@code null} for a tombstone on a compacted topic
   * @throws EventDecodingException when the record is not a Slipway CloudEvent this version knows
   */
  public static <T extends SlipwayEvent> CloudEvent<T> decode(
      Topic<T> topic, ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      if (topic.compacted()) {
        return null;
      }
      throw new EventDecodingException(record, "null value on a topic that is not compacted");
    }
    String specVersion = header(record, H_SPECVERSION);
    if (!SPEC_VERSION.equals(specVersion)) {
      throw new EventDecodingException(record, "ce_specversion is " + specVersion + ", not 1.0");
    }
    String type = required(record, H_TYPE);
    Class<? extends T> dataClass =
        topic
            .classFor(type)
            .orElseThrow(() -> new EventDecodingException(record, "unknown event type " + type));
    Instant time;
    try {
      time = Instant.parse(required(record, H_TIME));
    } catch (DateTimeParseException e) {
      throw new EventDecodingException(record, "ce_time is not an RFC 3339 time");
    }
    T data;
    try {
      data = Json.fromBytes(record.value(), dataClass);
    } catch (RuntimeException e) {
      throw new EventDecodingException(record, "data is not a valid " + type + ": " + e);
    }
    return new CloudEvent<>(
        required(record, H_ID), required(record, H_SOURCE), header(record, H_SUBJECT), time, data);
  }

  private static void put(Headers headers, String name, String value) {
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static String required(ConsumerRecord<?, ?> record, String name) {
    String value = header(record, name);
    if (value == null || value.isEmpty()) {
      throw new EventDecodingException(record, "missing header " + name);
    }
    return value;
  }
}
