package dev.slipway.infra.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.ValidationMessage;
import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.RegistryCredentialEvent.RegistryCredentialStored;
import dev.slipway.infra.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CloudEventCodecTest {

  private static final String SOURCE = "/slipway/test";
  private static final Instant TIME = Instant.parse("2026-03-14T09:26:54.001Z");

  /** Every (topic, event type, record class) Slipway has, from the topics themselves. */
  static Stream<Arguments> eventTypes() {
    List<Arguments> all = new ArrayList<>();
    for (Topic<?> topic : Topics.ALL) {
      topic.eventTypes().forEach((type, c) -> all.add(Arguments.of(topic, type, c)));
    }
    return all.stream();
  }

  @Test
  @DisplayName("every event type on every topic has a full sample, and every sample has a topic")
  void everyEventTypeHasASample() {
    List<Class<?>> onTopics = new ArrayList<>();
    for (Topic<?> topic : Topics.ALL) {
      for (Class<?> c : topic.eventTypes().values()) {
        assertNotNull(SampleEvents.of(c.asSubclass(SlipwayEvent.class)));
        onTopics.add(c);
      }
    }
    assertEquals(24, onTopics.size(), "event types across all topics");
    for (SlipwayEvent sample : SampleEvents.all()) {
      assertTrue(
          onTopics.contains(sample.getClass()),
          sample.getClass() + " is on no topic's sealed type");
    }
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("eventTypes")
  @DisplayName("an event survives encode and decode unchanged, with every CloudEvents header set")
  void roundTrip(Topic<?> topic, String type, Class<?> eventClass) {
    roundTripOn(topic, eventClass);
  }

  private static <T extends SlipwayEvent> void roundTripOn(Topic<T> topic, Class<?> eventClass) {
    T data = topic.eventClass().cast(SampleEvents.of(eventClass.asSubclass(SlipwayEvent.class)));
    CloudEvent<T> event = new CloudEvent<>("evt-" + data.type(), SOURCE, data.key(), TIME, data);

    ProducerRecord<String, byte[]> produced = CloudEventCodec.encode(topic, data.key(), event);

    assertEquals(topic.name(), produced.topic());
    assertEquals(data.key(), produced.key());
    assertEquals("1.0", header(produced, "ce_specversion"));
    assertEquals(event.id(), header(produced, "ce_id"));
    assertEquals(SOURCE, header(produced, "ce_source"));
    assertEquals(data.type(), header(produced, "ce_type"));
    assertEquals(data.key(), header(produced, "ce_subject"));
    assertEquals("2026-03-14T09:26:54.001Z", header(produced, "ce_time"));
    assertEquals(
        "https://slipway.dev/schemas/" + data.type() + ".v1.json",
        header(produced, "ce_dataschema"));
    assertEquals("application/json", header(produced, "content-type"));

    CloudEvent<T> decoded = CloudEventCodec.decode(topic, consumed(produced));

    assertEquals(event, decoded);
    assertEquals(data.getClass(), decoded.data().getClass());
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("eventTypes")
  @DisplayName("the JSON value of an event is valid against its event type's schema")
  void valueMatchesSchema(Topic<?> topic, String type, Class<?> eventClass) throws Exception {
    SlipwayEvent data = SampleEvents.of(eventClass.asSubclass(SlipwayEvent.class));
    ProducerRecord<String, byte[]> produced = encodeSample(topic, data);

    JsonNode value = Json.mapper().readTree(produced.value());
    Set<ValidationMessage> errors = SchemaFiles.validate(eventClass, value);

    assertTrue(errors.isEmpty(), type + " sample " + value + " fails its schema: " + errors);
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("eventTypes")
  @DisplayName("each schema file's $id is the event type's dataschema URI, on draft 2020-12")
  void schemaIdIsTheDataschemaUri(Topic<?> topic, String type, Class<?> eventClass) {
    JsonNode schema = SchemaFiles.tree(eventClass);

    assertEquals(Schemas.uriOf(eventClass), schema.path("$id").asText());
    assertEquals("https://json-schema.org/draft/2020-12/schema", schema.path("$schema").asText());
    assertEquals(type, Schemas.typeOf(eventClass));
    assertEquals("object", schema.path("type").asText());
    assertTrue(
        schema.path("additionalProperties").asBoolean(false),
        "schema changes are additive: additionalProperties must be true");
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("eventTypes")
  @DisplayName("a schema rejects its event when any required field is removed")
  void schemaRejectsMissingRequiredFields(Topic<?> topic, String type, Class<?> eventClass) {
    SlipwayEvent data = SampleEvents.of(eventClass.asSubclass(SlipwayEvent.class));
    JsonNode schema = SchemaFiles.tree(eventClass);
    assertFalse(schema.path("required").isEmpty(), type + " requires nothing");

    for (JsonNode field : schema.path("required")) {
      ObjectNode value = Json.mapper().valueToTree(data);
      assertNotNull(value.remove(field.asText()), type + " sample lacks " + field);

      Set<ValidationMessage> errors = SchemaFiles.validate(eventClass, value);

      assertTrue(
          errors.stream().anyMatch(e -> e.getMessage().contains(field.asText())),
          type + " without " + field + " passed: " + errors);
    }
  }

  @Test
  @DisplayName("a schema rejects an unknown enum value, even nested, a bad time and a bad id")
  void schemaRejectsBadValues() {
    ObjectNode failed = Json.mapper().valueToTree(SampleEvents.of(BuildFailed.class));
    failed.put("reason", "exploded");
    assertFalse(SchemaFiles.validate(BuildFailed.class, failed).isEmpty());

    ObjectNode badTime = Json.mapper().valueToTree(SampleEvents.of(BuildFailed.class));
    badTime.put("at", "yesterday at noon");
    assertFalse(SchemaFiles.validate(BuildFailed.class, badTime).isEmpty());

    // Inside a $ref'd definition: proves the shared deploy spec shape is enforced too.
    ObjectNode nested = Json.mapper().valueToTree(SampleEvents.of(BuildRequested.class));
    ((ObjectNode) nested.path("deploy")).put("strategy", "rolling");
    assertFalse(SchemaFiles.validate(BuildRequested.class, nested).isEmpty());
    ((ObjectNode) nested.path("deploy")).put("strategy", "recreate");
    assertTrue(SchemaFiles.validate(BuildRequested.class, nested).isEmpty());

    ObjectNode badId = Json.mapper().valueToTree(SampleEvents.of(BuildFailed.class));
    badId.put("build_id", "../../etc/passwd");
    assertFalse(SchemaFiles.validate(BuildFailed.class, badId).isEmpty());
  }

  @Test
  @DisplayName("an older reader decodes an event carrying a field it does not know")
  void decodeIgnoresUnknownFields() throws Exception {
    BuildRequested data = SampleEvents.of(BuildRequested.class);
    ProducerRecord<String, byte[]> produced = encodeSample(Topics.BUILD_COMMANDS, data);
    ObjectNode value = (ObjectNode) Json.mapper().readTree(produced.value());
    value.put("priority", "high");
    ConsumerRecord<String, byte[]> record =
        consumed(produced, headers(produced), Json.toBytes(value));

    assertEquals(data, CloudEventCodec.decode(Topics.BUILD_COMMANDS, record).data());
  }

  @Test
  @DisplayName("decode rejects an event type the topic does not carry")
  void decodeRejectsUnknownType() {
    ProducerRecord<String, byte[]> produced =
        encodeSample(Topics.BUILD_COMMANDS, SampleEvents.of(BuildRequested.class));

    RecordHeaders unknown = headers(produced);
    unknown.remove("ce_type");
    unknown.add("ce_type", bytes("dev.slipway.build.exploded"));
    EventDecodingException e =
        assertThrows(
            EventDecodingException.class,
            () -> CloudEventCodec.decode(Topics.BUILD_COMMANDS, consumed(produced, unknown)));
    assertTrue(e.getMessage().contains("dev.slipway.build.exploded"), e.getMessage());

    // A real type, but another topic's: a deploy command on the build command topic.
    RecordHeaders foreign = headers(produced);
    foreign.remove("ce_type");
    foreign.add("ce_type", bytes(EventTypes.DEPLOY_REQUESTED));
    assertThrows(
        EventDecodingException.class,
        () -> CloudEventCodec.decode(Topics.BUILD_COMMANDS, consumed(produced, foreign)));
  }

  @Test
  @DisplayName("decode rejects an event without ce_id")
  void decodeRejectsMissingId() {
    ProducerRecord<String, byte[]> produced =
        encodeSample(Topics.BUILD_COMMANDS, SampleEvents.of(BuildRequested.class));
    RecordHeaders noId = headers(produced);
    noId.remove("ce_id");

    EventDecodingException e =
        assertThrows(
            EventDecodingException.class,
            () -> CloudEventCodec.decode(Topics.BUILD_COMMANDS, consumed(produced, noId)));
    assertTrue(e.getMessage().contains("ce_id"), e.getMessage());
  }

  @Test
  @DisplayName("decode rejects an event of another CloudEvents spec version, or none")
  void decodeRejectsWrongSpecVersion() {
    ProducerRecord<String, byte[]> produced =
        encodeSample(Topics.BUILD_COMMANDS, SampleEvents.of(BuildRequested.class));
    RecordHeaders old = headers(produced);
    old.remove("ce_specversion");
    old.add("ce_specversion", bytes("0.3"));
    RecordHeaders none = headers(produced);
    none.remove("ce_specversion");

    assertThrows(
        EventDecodingException.class,
        () -> CloudEventCodec.decode(Topics.BUILD_COMMANDS, consumed(produced, old)));
    assertThrows(
        EventDecodingException.class,
        () -> CloudEventCodec.decode(Topics.BUILD_COMMANDS, consumed(produced, none)));
  }

  @Test
  @DisplayName("decode rejects data that lacks a field the record requires")
  void decodeRejectsIncompleteData() throws Exception {
    ProducerRecord<String, byte[]> produced =
        encodeSample(Topics.BUILD_COMMANDS, SampleEvents.of(BuildRequested.class));
    ObjectNode value = (ObjectNode) Json.mapper().readTree(produced.value());
    value.remove("repository");

    assertThrows(
        EventDecodingException.class,
        () ->
            CloudEventCodec.decode(
                Topics.BUILD_COMMANDS, consumed(produced, headers(produced), Json.toBytes(value))));
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  @DisplayName("encode refuses an event on a topic that does not carry its type")
  void encodeRefusesWrongTopic() {
    BuildRequested data = SampleEvents.of(BuildRequested.class);
    // Generics stop this at compile time; a raw topic is how it would slip through.
    Topic wrong = Topics.BUILD_EVENTS;

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CloudEventCodec.encode(wrong, data.key(), CloudEvent.of(SOURCE, data.key(), data)));
    assertTrue(e.getMessage().contains("slipway.build.events"), e.getMessage());
  }

  @Test
  @DisplayName("a tombstone decodes to null on the compacted credentials topic")
  void tombstoneOnCompactedTopic() {
    ProducerRecord<String, byte[]> tombstone =
        CloudEventCodec.tombstone(Topics.REGISTRY_CREDENTIALS, "local-registry");

    assertEquals("slipway.registry.credentials", tombstone.topic());
    assertEquals("local-registry", tombstone.key());
    assertNull(tombstone.value());
    assertNull(CloudEventCodec.decode(Topics.REGISTRY_CREDENTIALS, consumed(tombstone)));

    // And the stored credential itself still decodes on the same topic.
    RegistryCredentialStored stored = SampleEvents.of(RegistryCredentialStored.class);
    assertEquals(
        stored,
        CloudEventCodec.decode(
                Topics.REGISTRY_CREDENTIALS,
                consumed(encodeSample(Topics.REGISTRY_CREDENTIALS, stored)))
            .data());
  }

  @Test
  @DisplayName("a tombstone is refused on a topic that is not compacted, both ways")
  void tombstoneOnOtherTopics() {
    assertThrows(
        IllegalArgumentException.class,
        () -> CloudEventCodec.tombstone(Topics.BUILD_EVENTS, SampleEvents.BUILD_ID));

    ConsumerRecord<String, byte[]> nullValue =
        new ConsumerRecord<>("slipway.build.events", 0, 7L, SampleEvents.BUILD_ID, null);
    assertThrows(
        EventDecodingException.class, () -> CloudEventCodec.decode(Topics.BUILD_EVENTS, nullValue));
  }

  @Test
  @DisplayName("the encoded credential carries only ciphertext, and its toString omits it")
  void credentialNeverPlain() {
    RegistryCredentialStored stored = SampleEvents.of(RegistryCredentialStored.class);
    assertFalse(stored.toString().contains(stored.secretCiphertext()));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new RegistryCredentialStored(
                "local-registry", "registry.local:5000", "ci-bot", "hunter2", "k-1", TIME));
  }

  private static ProducerRecord<String, byte[]> encodeSample(Topic<?> topic, SlipwayEvent data) {
    return encodeOn(topic, data);
  }

  private static <T extends SlipwayEvent> ProducerRecord<String, byte[]> encodeOn(
      Topic<T> topic, SlipwayEvent data) {
    T typed = topic.eventClass().cast(data);
    return CloudEventCodec.encode(
        topic, typed.key(), new CloudEvent<>("evt-1", SOURCE, typed.key(), TIME, typed));
  }

  private static RecordHeaders headers(ProducerRecord<String, byte[]> produced) {
    return new RecordHeaders(produced.headers().toArray());
  }

  private static ConsumerRecord<String, byte[]> consumed(ProducerRecord<String, byte[]> produced) {
    return consumed(produced, headers(produced));
  }

  private static ConsumerRecord<String, byte[]> consumed(
      ProducerRecord<String, byte[]> produced, RecordHeaders headers) {
    return consumed(produced, headers, produced.value());
  }

  private static ConsumerRecord<String, byte[]> consumed(
      ProducerRecord<String, byte[]> produced, RecordHeaders headers, byte[] value) {
    return new ConsumerRecord<>(
        produced.topic(),
        0,
        42L,
        TIME.toEpochMilli(),
        TimestampType.CREATE_TIME,
        produced.key() == null ? -1 : produced.key().length(),
        value == null ? -1 : value.length,
        produced.key(),
        value,
        headers,
        Optional.empty());
  }

  private static String header(ProducerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
